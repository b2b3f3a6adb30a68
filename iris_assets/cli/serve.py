"""Run the Dagster UI (``dagster dev``) and the read API side by side until interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from iris_resources.settings import IrisSettings


def _reset_signals() -> None:
    # Some supervisors start children with SIGINT/SIGTERM ignored; dagster dev must see them.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=os.environ.copy(), preexec_fn=_reset_signals)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(settings: IrisSettings, *, ui: bool = True, api: bool = True) -> int:
    """Start the requested processes and wait; Ctrl-C or SIGTERM stops them all."""
    # A supervisor may have started us with SIGINT ignored; take both signals back.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    bin_dir = os.path.dirname(sys.executable)
    processes: list[subprocess.Popen[bytes]] = []
    if ui:
        processes.append(_spawn([
            os.path.join(bin_dir, "dagster"), "dev", "-h", "127.0.0.1", "-p", str(settings.dagster_port),
            "-m", "iris_assets.definitions",
        ]))
        print(f"Dagster UI:  http://127.0.0.1:{settings.dagster_port}")
    if api:
        processes.append(_spawn([
            sys.executable, "-m", "uvicorn", "iris_api.app:create_app", "--factory",
            "--host", settings.api_host, "--port", str(settings.api_port),
        ]))
        print(f"IRIS API:    http://{settings.api_host}:{settings.api_port}/docs")
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return max((p.returncode or 0) for p in processes)
