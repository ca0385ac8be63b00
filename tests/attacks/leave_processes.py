"""Start 50 processes that outlive the answer."""

MARK = "course-attack-leftover"
BODY = f"""
    import subprocess, sys
    for _ in range(50):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)  # {MARK}"],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""


def harmless(course, before):
    import subprocess

    left = subprocess.run(["pgrep", "-f", MARK], capture_output=True, text=True).stdout.split()
    assert not left, f"{len(left)} processes left running"
