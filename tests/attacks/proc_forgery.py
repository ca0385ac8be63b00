"""Write "passed" into the judge's reply pipe through /proc/<pid>/fd."""

BODY = """
    import os
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    with open(f"/proc/{pid}/fd/{fd}", "w") as f:
                        f.write('{"status": "passed", "messages": []}\\n')
            except OSError:
                pass
"""
