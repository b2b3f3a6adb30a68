"""Dagster's instance storage keeps its connections: events cost no new connection each, a forked
child never writes on its parent's socket, and a dropped connection is replaced on the next write."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData
from dagster._core.events.log import EventLogEntry
from dagster_postgres import PostgresEventLogStorage
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.orchestration.instance import storage_url
from iris_resources.orchestration.pooled_storage import PooledPostgresStorage
from iris_resources.services.runtime import with_database

EVENTS = 40


@pytest.fixture
def storage(server_url: str) -> Iterator[PooledPostgresStorage]:
    url = with_database(server_url, f"iris_dagster_pool_{uuid.uuid4().hex[:10]}")
    ensure_database(url)
    try:
        pooled = PooledPostgresStorage(storage_url(url))
        yield pooled
        pooled.dispose()
    finally:
        drop_database(url)  # terminates what is still connected


def _count_connects(engine: Engine) -> list[int]:
    """A list that grows by one per new connection ``engine`` opens in this process."""
    opened: list[int] = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    return opened


def _entry(run: dg.DagsterRun, message: str) -> EventLogEntry:
    dagster_event = DagsterEvent(DagsterEventType.ENGINE_EVENT.value, run.job_name, message=message,
                                 event_specific_data=EngineEventData())
    return EventLogEntry(error_info=None, level=20, user_message=message, run_id=run.run_id, timestamp=0.0,
                         dagster_event=dagster_event, job_name=run.job_name)


def _store(storage: PooledPostgresStorage, run: dg.DagsterRun, label: str, count: int = 1) -> None:
    for number in range(count):
        storage.event_log_storage.store_event(_entry(run, f"{label} {number}"))


def _new_run(storage: PooledPostgresStorage) -> dg.DagsterRun:
    run = dg.DagsterRun(job_name="pooled_storage_test", run_id=str(uuid.uuid4()))
    storage.run_storage.add_run(run)
    return run


def _messages(storage: PooledPostgresStorage, run: dg.DagsterRun) -> list[str]:
    return sorted(record.user_message for record in storage.event_log_storage.get_logs_for_run(run.run_id))


def test_events_are_written_over_one_kept_connection(storage: PooledPostgresStorage) -> None:
    run = _new_run(storage)
    opened = _count_connects(storage.event_log_storage._engine)
    _store(storage, run, "event", EVENTS)
    assert len(_messages(storage, run)) == EVENTS
    assert len(opened) == 1


def test_dagster_postgres_own_event_log_connects_once_per_event(storage: PooledPostgresStorage) -> None:
    """The control: what the pooled storage saves."""
    run = _new_run(storage)
    plain = PostgresEventLogStorage(storage.postgres_url)
    opened = _count_connects(plain._engine)
    for number in range(EVENTS):
        plain.store_event(_entry(run, f"event {number}"))
    assert len(opened) == EVENTS


def _child_writes(storage: PooledPostgresStorage, run: dg.DagsterRun) -> None:
    _store(storage, run, "child")


def test_a_forked_child_opens_its_own_connection_and_leaves_the_parents_alone(
        storage: PooledPostgresStorage) -> None:
    run = _new_run(storage)
    _store(storage, run, "before fork")
    opened = _count_connects(storage.event_log_storage._engine)
    child = multiprocessing.get_context("fork").Process(target=_child_writes, args=(storage, run))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    _store(storage, run, "after fork")  # still the parent's own connection, undisturbed by the child
    assert _messages(storage, run) == ["after fork 0", "before fork 0", "child 0"]
    assert opened == []


def test_a_dropped_connection_is_replaced_on_the_next_write(storage: PooledPostgresStorage) -> None:
    run = _new_run(storage)
    _store(storage, run, "before")
    url = make_url(storage.postgres_url)
    admin = create_engine(url.set(database="postgres"))
    try:
        with admin.connect() as connection:  # as a server restart would: every session of the database ends
            ended = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": url.database}).scalar_one()
    finally:
        admin.dispose()
    assert ended >= 1
    _store(storage, run, "after")
    assert _messages(storage, run) == ["after 0", "before 0"]


_DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-06")


@dg.asset(partitions_def=_DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def _ranged() -> None:
    """A partitioned asset materialized a whole range at once, like IRIS's market assets."""


def test_a_range_run_records_every_partition_with_batched_event_writes(
        storage: PooledPostgresStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    import iris_assets.definitions  # noqa: F401  (loading the code location turns batching on)
    from iris_resources.orchestration.instance import EVENT_BATCH_SIZE_ENV, STORAGE_URL_ENV, write_dagster_home

    assert int(os.environ[EVENT_BATCH_SIZE_ENV]) > 1
    monkeypatch.setenv(STORAGE_URL_ENV, storage.postgres_url)
    home = Path(tempfile.mkdtemp(prefix="iris-pooled-home-"))
    try:
        write_dagster_home(home)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            result = dg.materialize([_ranged], instance=instance, tags={
                "dagster/asset_partition_range_start": "2025-01-01",
                "dagster/asset_partition_range_end": "2025-01-05"})
            assert result.success
            recorded = instance.get_materialized_partitions(_ranged.key)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert recorded == {f"2025-01-0{day}" for day in range(1, 6)}
