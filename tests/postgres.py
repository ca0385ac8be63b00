"""A throwaway PostgreSQL server for tests, on a unix socket only, or a skip that says why.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user; its
folder is made outside pytest's temporary folders, which only their owner may enter. Every
command has a time limit, and the server is stopped however the test ends.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TIMEOUT = 60  # seconds, for any one command
NEEDED = ("initdb", "pg_ctl", "createdb")


def _bin() -> Path | None:
    """The folder of PostgreSQL's server programs: pg_ctl's on PATH (often a link), else the
    newest of Debian's /usr/lib/postgresql/<version>/bin."""
    found = [Path(p).resolve().parent for p in [shutil.which("pg_ctl")] if p]
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    found += sorted(
        versions, key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()], reverse=True
    )
    return next((d for d in found if all((d / n).exists() for n in NEEDED)), None)


@contextlib.contextmanager
def server() -> Iterator[str]:
    """Yields the SQLAlchemy URL of an empty database on a fresh server, reached through a
    socket in a folder outside /tmp (the sandbox's /tmp is its own)."""
    bindir = _bin()
    if bindir is None:
        pytest.skip(f"PostgreSQL is not installed ({', '.join(NEEDED)} on PATH or in /usr/lib/postgresql)")
    as_root = os.geteuid() == 0
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, with no postgres user to run PostgreSQL as")
    base = Path(
        tempfile.mkdtemp(prefix="course-pg-", dir="/var/tmp" if os.access("/var/tmp", os.W_OK) else None)
    )
    base.chmod(0o755)  # like /var/run/postgresql: anyone may reach the socket
    if as_root:
        os.chown(base, owner.pw_uid, owner.pw_gid)

    def run(*command: str, **kwargs) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        return subprocess.run([*prefix, *command], timeout=TIMEOUT, **kwargs)

    data, log = base / "data", base / "server.log"
    started = False
    try:
        init = run(str(bindir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "--no-sync",
                   capture_output=True, text=True)  # fmt: skip
        if init.returncode:
            pytest.skip(f"initdb failed: {(init.stdout + init.stderr)[-500:]}")
        options = f"-k {base} -c listen_addresses='' -c fsync=off"
        started = True  # stopped in any case, even if pg_ctl gave up on a server still starting
        start = run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "30",
                    "start", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        if start.returncode:
            pytest.skip(f"PostgreSQL did not start: {log.read_text()[-500:] if log.exists() else 'no log'}")
        created = run(str(bindir / "createdb"), "-h", str(base), "-U", "grader", "gradebook",
                      capture_output=True, text=True)  # fmt: skip
        assert created.returncode == 0, created.stderr
        yield f"postgresql+psycopg2://grader@/gradebook?host={base}"
    finally:
        if started:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop",
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
