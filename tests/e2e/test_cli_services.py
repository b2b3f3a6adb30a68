"""The ``iris`` CLI manages embedded services: start, status, migrate, stop (real processes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import redis

from iris_resources.services.runtime import with_database


def _iris(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("IRIS_DATABASE_URL", "IRIS_REDIS_URL")}
    env.update(IRIS_DATA_DIR=str(data_dir), IRIS_EMBEDDED_PG_PORT="0", IRIS_EMBEDDED_REDIS_PORT="0")
    return subprocess.run([sys.executable, "-m", "iris_assets.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=180, check=False)


def test_embedded_services_start_report_migrate_and_stop() -> None:
    # Not under pytest's tmp_path: pytest re-tightens that root to 0700, which would lock the
    # unprivileged postgres user out of its data directory while the server runs.
    data_dir = Path(tempfile.mkdtemp(prefix="iris-cli-")) / "iris-data"
    try:
        started = _iris(data_dir, "services", "start")
        assert started.returncode == 0, started.stderr
        status = _iris(data_dir, "services", "status")
        assert "postgres: embedded, running on 127.0.0.1:" in status.stdout
        assert "redis:    embedded, running on 127.0.0.1:" in status.stdout

        migrated = _iris(data_dir, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        urls = json.loads((data_dir / "runtime.json").read_text())
        with psycopg.connect(with_database(urls["postgres_url"], "iris")) as connection:
            tables = {r[0] for r in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        assert {"coins", "candles", "candle_aggregates", "candle_gaps", "candle_rejects"} <= tables
        assert redis.Redis.from_url(urls["redis_url"]).ping()
        assert (data_dir / "dagster" / "dagster.yaml").read_text().count("IRIS_DAGSTER_STORAGE_URL") == 1

        again = _iris(data_dir, "services", "start")  # idempotent: reuses the running servers
        assert again.returncode == 0
        assert json.loads((data_dir / "runtime.json").read_text()) == urls
    finally:
        stopped = _iris(data_dir, "services", "stop")
    assert "postgres: stopped" in stopped.stdout and "redis: stopped" in stopped.stdout
    assert "embedded, stopped" in _iris(data_dir, "services", "status").stdout
    shutil.rmtree(data_dir.parent, ignore_errors=True)
