"""A private, throwaway PostgreSQL server for the tests and the bench: a new cluster in a temporary
folder, listening on a Unix socket in that folder only (no TCP port to collide with anyone's),
trusting local connections, removed when done. Needs the server's binaries (`initdb`, `pg_ctl`,
`createdb`), on PATH or where Debian's `postgresql` package puts them."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEBIAN_BINARIES = Path("/usr/lib/postgresql")
DATABASE = "dagster"
# PostgreSQL refuses to run as root; Debian's package creates this user for its own server.
SERVER_USER_WHEN_ROOT = "postgres"


def server_binaries() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: on PATH, else Debian's newest; None when absent."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    installed = sorted(
        DEBIAN_BINARIES.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name), reverse=True
    )
    return installed[0].parent if installed else None


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a new cluster and yield the URL of its empty database `dagster`; stop and remove
    everything afterwards."""
    binaries = server_binaries()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    as_user = {}
    folder = Path(tempfile.mkdtemp(prefix="cadence-postgres-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER_WHEN_ROOT)
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    data, socket = folder / "data", str(folder)

    def run(*command: str) -> None:
        done = subprocess.run(
            [str(binaries / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            cwd=folder,
            **as_user,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")

    try:
        # --no-sync and fsync off: a test database need not survive a power cut.
        run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses='' -k {socket} -c fsync=off"
        log = str(folder / "server.log")
        run("pg_ctl", "-D", str(data), "-o", options, "-l", log, "-w", "start")
        try:
            run("createdb", "-h", socket, "-U", "postgres", DATABASE)
            yield f"postgresql://postgres@/{DATABASE}?host={socket}"
        finally:
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
