"""Fault drills with assertions: a run killed mid-write, PostgreSQL restarted under a sensor and the API.

The kill drill runs on the suite's shared server; the restart drills start their own throwaway
PostgreSQL so restarting it cannot disturb other tests.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from iris_api.app import create_app
from iris_api.settings import ApiSettings
from iris_assets.runtime.live import new_candles_sensor
from iris_resources.db.admin import ensure_database
from iris_resources.db.migrate import upgrade
from iris_resources.db.resources import DatabaseResource
from iris_resources.services import embedded_postgres
from iris_resources.services.runtime import with_database

REPO = Path(__file__).resolve().parents[2]
FIRST_DAY, LAST_DAY = "2024-01-01", "2024-01-20"
N_COINS = 6

_CHILD = textwrap.dedent("""
    import sys
    import dagster as dg
    from iris_assets.definitions import ALL_ASSETS
    from iris_resources.db.resources import DatabaseResource, TransactionResource
    from iris_resources.sources.resource import CandleSourceResource

    url, first, last, n_coins = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    by_name = {k.to_user_string(): a for a in ALL_ASSETS for k in a.keys}
    database = DatabaseResource(url=url, pool_size=2)
    resources = {"database": database, "transaction": TransactionResource(database=database),
                 "candle_source": CandleSourceResource(spec="synthetic", seed=3, n_coins=n_coins)}
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        dg.materialize([by_name["coins"]], resources=resources, instance=instance, run_config=quiet)
        result = dg.materialize([by_name[n] for n in ("candles", "candle_aggregates", "indicators")],
                                resources=resources, instance=instance, run_config=quiet,
                                tags={"dagster/asset_partition_range_start": first,
                                      "dagster/asset_partition_range_end": last})
    sys.exit(0 if result.success else 1)
""")


def _launch(database_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _CHILD, database_url, FIRST_DAY, LAST_DAY, str(N_COINS)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _writing(engine: Engine) -> bool:
    """A transaction of the child has written and not committed yet."""
    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar_one())


_DAY_COUNTS = {table: text(f"SELECT coin_id, to_char(timestamp, 'YYYY-MM-DD'), count(*) FROM {table} "
                           "WHERE timeframe = :tf GROUP BY 1, 2") for table in ("candles", "indicators")}


def _day_counts(engine: Engine, table: str, timeframe: int) -> dict[tuple[int, str], int]:
    with engine.connect() as connection:
        rows = connection.execute(_DAY_COUNTS[table], {"tf": timeframe}).all()
    return {(int(c), str(d)): int(n) for c, d, n in rows}


def test_a_run_killed_mid_write_leaves_no_partial_day_and_the_retry_completes(database_url: str,
                                                                             engine: Engine) -> None:
    child = _launch(database_url)
    killed_while_writing = False
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and child.poll() is None:
            with engine.connect() as connection:
                indicators_started = connection.execute(text("SELECT count(*) FROM candles")).scalar_one() > 0
            if indicators_started and _writing(engine):
                child.send_signal(signal.SIGKILL)
                killed_while_writing = True
                break
            time.sleep(0.05)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    assert killed_while_writing, "the drill never caught the run inside a write transaction"
    # What was committed is whole days: 96 candles and 96 indicator rows per coin and day, or nothing.
    for table in ("candles", "indicators"):
        assert set(_day_counts(engine, table, 15).values()) <= {96}, table
    retry = _launch(database_url)
    _, stderr = retry.communicate(timeout=600)
    assert retry.returncode == 0, stderr.decode()[-2000:]
    days = 20
    for table in ("candles", "indicators"):
        counts = _day_counts(engine, table, 15)
        assert len(counts) == N_COINS * days and set(counts.values()) == {96}, table


@pytest.fixture
def own_server() -> Iterator[tuple[Path, str]]:
    """A throwaway PostgreSQL with one migrated database (pgdata outside pytest's 0700 tmp root)."""
    pgdata = Path(tempfile.mkdtemp(prefix="iris-drill-pg-")) / "pgdata"
    handle = embedded_postgres.start(pgdata, preferred_port=0)
    url = with_database(handle.url, f"iris_drill_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    upgrade(url)
    try:
        yield pgdata, url
    finally:
        embedded_postgres.destroy(pgdata)
        shutil.rmtree(pgdata.parent, ignore_errors=True)


def _restart(pgdata: Path, port: int) -> None:
    embedded_postgres.stop(pgdata)
    embedded_postgres.start(pgdata, preferred_port=port)


def _port(url: str) -> int:
    from sqlalchemy.engine import make_url

    return int(make_url(url).port or 5432)


def test_a_sensor_recovers_from_a_postgres_restart_without_manual_action(own_server: tuple[Path, str]) -> None:
    pgdata, url = own_server
    database = DatabaseResource(url=url, pool_size=2)
    with dg.DagsterInstance.ephemeral() as instance:
        def tick() -> dg.SensorResult:
            # The sensor daemon builds the resources for every tick, as this does.
            with dg.build_sensor_context(instance=instance, resources={"database": database}) as context:
                return new_candles_sensor(context)  # type: ignore[no-any-return]

        assert tick().skip_reason is not None  # healthy: nothing new
        embedded_postgres.stop(pgdata)
        with pytest.raises(Exception):  # noqa: B017 - the tick fails while the server is down; the daemon retries
            tick()
        embedded_postgres.start(pgdata, preferred_port=_port(url))
        result = tick()  # the same resource and pool, no manual action
        assert result.skip_reason is not None and "no new candles" in str(result.skip_reason.skip_message)
        _restart(pgdata, _port(url))  # a restart between ticks
        assert tick().skip_reason is not None


def test_the_api_answers_503_during_a_postgres_restart_and_recovers_by_itself(own_server: tuple[Path, str],
                                                                             redis_url: str) -> None:
    pgdata, url = own_server
    # Versions re-read on every request: within api_version_max_age_ms a cached body is still served.
    settings = ApiSettings(database_url=url, redis_url=redis_url, api_allow_write=True,
                           api_cache_prefix=f"iris:drill:{uuid.uuid4().hex[:6]}", api_version_max_age_ms=0)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/coins").status_code == 200
        embedded_postgres.stop(pgdata)
        down = client.get("/api/v1/coins")
        assert down.status_code == 503
        assert down.json()["code"] == "database_unavailable"
        embedded_postgres.start(pgdata, preferred_port=_port(url))
        deadline = time.monotonic() + 20
        statuses = []
        while time.monotonic() < deadline:
            statuses.append(client.get("/api/v1/coins").status_code)
            if statuses[-1] == 200:
                break
            time.sleep(0.2)
        assert statuses[-1] == 200, statuses
