"""Reads run one chunk ahead on their own connection, in order, and stop cleanly."""

from __future__ import annotations

import threading
from functools import partial

import pytest
from sqlalchemy import Connection, text

from iris_resources.db.read_ahead import read_ahead
from iris_resources.db.resources import TransactionResource


def _backend(value: int, connection: Connection) -> tuple[int, int]:
    return value, int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_results_come_in_order_from_another_connection(transaction: TransactionResource) -> None:
    with transaction.begin() as uow:
        own = int(uow.connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
        with read_ahead(transaction.begin, [partial(_backend, i) for i in range(6)]) as results:
            got = list(results)
    assert [value for value, _ in got] == list(range(6))
    assert {pid for _, pid in got} != {own} and len({pid for _, pid in got}) == 1  # one other connection


def test_reads_see_committed_rows_not_the_steps_own(transaction: TransactionResource) -> None:
    def count(connection: Connection) -> int:
        return int(connection.execute(text("SELECT count(*) FROM sectors WHERE code = 'zz'")).scalar_one())

    with transaction.begin() as uow:
        uow.connection.execute(text("INSERT INTO sectors (code, name) VALUES ('zz', 'Uncommitted')"))
        with read_ahead(transaction.begin, [count]) as results:
            assert list(results) == [0]


def test_a_failing_read_raises_where_its_result_was_due(transaction: TransactionResource) -> None:
    def fail(connection: Connection) -> int:
        raise ValueError("broken read")

    reads = [partial(_backend, 1), fail, partial(_backend, 3)]
    seen = []
    with pytest.raises(ValueError, match="broken read"), read_ahead(transaction.begin, reads) as results:
        for value, _ in results:
            seen.append(value)
    assert seen == [1]


def test_leaving_early_stops_the_thread(transaction: TransactionResource) -> None:
    started = []

    def read(value: int, connection: Connection) -> int:
        started.append(value)
        return value

    with read_ahead(transaction.begin, [partial(read, i) for i in range(50)], depth=1) as results:
        assert next(results) == 0
    assert len(started) <= 3  # the one taken, one waiting, one in flight: not all 50
    assert not any(t.name == "iris-read-ahead" for t in threading.enumerate())
