"""The code location's executor: a partition-range run fans its steps out over processes and
writes exactly what the same run writes in process; other runs stay in process."""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from iris_assets.definitions import ALL_ASSETS, defs
from iris_assets.executor import (
    CRITICAL_PATH,
    HISTORY_SCAN,
    SIDE_STEP_NICENESS,
    is_range_run,
    range_parallel_executor,
)
from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.db.engine import create_db_engine
from iris_resources.db.resources import DatabaseResource, TransactionResource
from iris_resources.services.runtime import with_database

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE = {"dagster/asset_partition_range_start": "2024-01-01", "dagster/asset_partition_range_end": "2024-01-03"}
JOB = "history_backfill_job"
# What the job writes, reduced to comparable rows (floats rounded: both runs use the same code).
FINGERPRINT = {
    "candles": "SELECT coin_id, timeframe, timestamp, round(close::numeric, 9) FROM candles",
    "indicators": "SELECT coin_id, timeframe, timestamp, round(rsi_14::numeric, 9), round(ema_200::numeric, 9) "
                  "FROM indicators",
    "signals": "SELECT coin_id, timeframe, source, signal_type, direction, candle_timestamp, "
               "round(confidence::numeric, 9) FROM signals",
    "signal_outcomes": "SELECT coin_id, timeframe, signal_type, candle_timestamp, round(return_24b::numeric, 9) "
                       "FROM signal_outcomes",
    "investment_decisions": "SELECT coin_id, timeframe, timestamp, decision, round(confidence::numeric, 9), reason "
                            "FROM investment_decisions",
    "market_anomalies": "SELECT coin_id, anomaly_type, detected_at, round(score::numeric, 9) FROM market_anomalies",
}


def history_job() -> dg.JobDefinition:
    """The production job new coins' history runs through (a partition-range run)."""
    return defs.resolve_job_def(JOB)


def _fan_out_run(queue: Any) -> None:
    """In a fresh interpreter (settings come from this process's environment): the range run on a
    persistent instance, reporting success and the processes its steps ran in."""
    with dg.DagsterInstance.local_temp() as instance, dg.execute_job(
            dg.reconstructable(history_job), instance=instance, run_config=QUIET, tags=RANGE) as result:
        pids = {str(record.dagster_event.event_specific_data.metadata["pid"].value)  # type: ignore[union-attr]
                for record in instance.all_logs(result.run_id)
                if record.dagster_event is not None and record.dagster_event.event_type_value == "STEP_WORKER_STARTED"}
        queue.put((result.success, sorted(pids), os.getpid()))


def _fingerprint(engine: Engine) -> dict[str, set[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {table: set(connection.execute(text(sql)).all()) for table, sql in FINGERPRINT.items()}


def _seed_roots(resources: dict[str, Any], instance: dg.DagsterInstance) -> None:
    assert dg.materialize([BY_NAME["coins"], BY_NAME["pattern_registry"]], resources=resources, instance=instance,
                          run_config=QUIET).success


@pytest.mark.parametrize(("tags", "expected"), [
    (RANGE, True),
    ({"dagster/asset_partition_range_start": "2024-01-01", "dagster/asset_partition_range_end": "2024-01-01"}, False),
    ({"dagster/partition": "2024-01-01"}, False),
    ({}, False),
])
def test_only_multi_partition_ranges_count_as_range_runs(tags: dict[str, str], expected: bool) -> None:
    assert is_range_run(tags) is expected


def test_range_run_steps_in_parallel_processes_write_what_in_process_writes(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine, template_database: str,
    redis_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The in-process reference: dg.materialize always runs in process.
    _seed_roots(resources, instance)
    selection = [a for a in ALL_ASSETS if a.partitions_def is not None]
    assert dg.materialize(selection, resources=resources, instance=instance, run_config=QUIET, tags=RANGE).success
    in_process = _fingerprint(engine)
    assert all(in_process[table] for table in ("candles", "indicators", "signals", "signal_outcomes"))

    # The fan-out run on a second database, through the production job and executor.
    second = with_database(template_database, f"iris_test_{uuid.uuid4().hex[:12]}")
    ensure_database(second, template=make_url(template_database).database)
    second_engine = create_db_engine(second, pool_size=1)
    try:
        database = DatabaseResource(url=second, pool_size=2)
        _seed_roots({**resources, "database": database, "transaction": TransactionResource(database=database)},
                    instance)
        monkeypatch.setenv("IRIS_DATABASE_URL", second)
        monkeypatch.setenv("IRIS_REDIS_URL", redis_url)
        monkeypatch.setenv("IRIS_SOURCE", "synthetic")
        monkeypatch.setenv("IRIS_SYNTHETIC_SEED", "3")
        monkeypatch.setenv("IRIS_SYNTHETIC_COINS", "6")
        monkeypatch.setenv("IRIS_BACKFILL_STEP_PROCESSES", "2")
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=_fan_out_run, args=(queue,))
        child.start()
        success, step_pids, run_pid = queue.get(timeout=600)
        child.join(timeout=60)
        assert success
        # Each step reported its own process, none of them the run's.
        assert len(step_pids) >= 10 and str(run_pid) not in step_pids
        assert _fingerprint(second_engine) == in_process
    finally:
        second_engine.dispose()
        drop_database(second)


@dg.op(tags=CRITICAL_PATH)
def chain_step() -> int:
    """A critical-path step: keeps the run's CPU priority."""
    time.sleep(1.0)
    return os.getpriority(os.PRIO_PROCESS, 0)


@dg.op
def side_step() -> int:
    """A side step: reports its priority once the executor has lowered it (or after 10 s)."""
    deadline = time.monotonic() + 10
    while os.getpriority(os.PRIO_PROCESS, 0) < SIDE_STEP_NICENESS and time.monotonic() < deadline:
        time.sleep(0.05)
    return os.getpriority(os.PRIO_PROCESS, 0)


def priority_job() -> dg.JobDefinition:
    """Two independent steps under the code location's executor."""
    @dg.job(executor_def=range_parallel_executor)
    def priorities() -> None:
        chain_step()
        side_step()
    return priorities


def test_side_steps_of_a_fanned_out_range_run_yield_the_cpu_to_the_critical_path() -> None:
    with dg.DagsterInstance.local_temp() as instance, dg.execute_job(
            dg.reconstructable(priority_job), instance=instance, tags=RANGE,
            run_config={**QUIET, "execution": {"config": {"max_concurrent": 2}}}) as result:
        assert result.success
        base = os.getpriority(os.PRIO_PROCESS, 0)
        assert result.output_for_node("chain_step") == base
        assert result.output_for_node("side_step") >= SIDE_STEP_NICENESS > base


@dg.op(tags=HISTORY_SCAN)
def history_scan() -> int:
    """A whole-history scan: reports the process it ran in."""
    return os.getpid()


@dg.op
def plain_step() -> int:
    """An ordinary step: reports the process it ran in."""
    return os.getpid()


def scans_job() -> dg.JobDefinition:
    """Two independent history scans under the code location's executor, as the latest-state run holds."""
    @dg.job(executor_def=range_parallel_executor)
    def scans() -> None:
        history_scan.alias("first_scan")()
        history_scan.alias("second_scan")()
    return scans


def one_scan_job() -> dg.JobDefinition:
    """One history scan beside an ordinary step: nothing to run side by side."""
    @dg.job(executor_def=range_parallel_executor)
    def one_scan() -> None:
        history_scan.alias("first_scan")()
        plain_step()
    return one_scan


@pytest.mark.parametrize(("job", "fans_out"), [(scans_job, True), (one_scan_job, False)])
def test_a_run_of_several_history_scans_runs_them_in_their_own_processes(job: Any, fans_out: bool) -> None:
    with dg.DagsterInstance.local_temp() as instance, dg.execute_job(
            dg.reconstructable(job), instance=instance,
            run_config={**QUIET, "execution": {"config": {"max_concurrent": 2}}}) as result:
        assert result.success
        pid = result.output_for_node("first_scan")
        assert (pid != os.getpid()) is fans_out
        if fans_out:
            assert result.output_for_node("second_scan") not in {pid, os.getpid()}


def test_the_whole_history_scans_of_the_latest_state_carry_the_fan_out_tag() -> None:
    tagged = {key.to_user_string() for a in ALL_ASSETS for key in a.keys
              if (a.op.tags or {}).items() >= HISTORY_SCAN.items()}
    assert tagged == {"strategies", "signal_backtests", "pattern_statistics"}
    # Longest first, so the longest scan never waits for a slot behind a shorter one.
    priority = {key.to_user_string(): int((a.op.tags or {})["dagster/priority"]) for a in ALL_ASSETS
                for key in a.keys if key.to_user_string() in tagged}
    assert priority["strategies"] > priority["signal_backtests"] > priority["pattern_statistics"] > 0
