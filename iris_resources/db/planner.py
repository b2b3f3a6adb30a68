"""Planner settings for one statement whose plan must not depend on the table statistics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, text

# Nested loops of index probes only: for a join whose outer side the planner cannot see is small (a few
# bounds per coin, or one window of rows), so that the inner table is read along its key, never hashed whole.
INDEX_PROBES = (("enable_hashjoin", "off"), ("enable_mergejoin", "off"), ("enable_seqscan", "off"))
# A slice of a large table read by its key range (many coins, one timeframe, days of a year): the planner
# estimated a parallel scan of every row cheaper than the bitmap scan of the key ranges, which reads a ninth
# of the pages (a year of 100 coins' signals, 10 days: 1.46 s scanning against 0.57 s along the key).
KEY_RANGE_SCAN = (("enable_seqscan", "off"),)

_SET = text("SELECT current_setting(:name), set_config(:name, :value, true)")
_RESTORE = text("SELECT set_config(:name, :value, true)")


@contextmanager
def planner_settings(connection: Connection, settings: Sequence[tuple[str, str]]) -> Iterator[None]:
    """Statements of the block run with ``settings`` (name, value); the transaction's own values come back
    after it. Transaction-local (``set_config(…, true)``): if the block fails, the rollback undoes them,
    so nothing is restored on that path (an aborted transaction would refuse the statement anyway)."""
    previous = [(name, connection.execute(_SET, {"name": name, "value": value}).one()[0])
                for name, value in settings]
    yield
    for name, value in reversed(previous):
        connection.execute(_RESTORE, {"name": name, "value": value})
