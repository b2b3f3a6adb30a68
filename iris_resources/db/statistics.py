"""Fresh planner statistics after bulk loads.

A backfill run COPYs millions of rows and the next step queries them at once; autovacuum's analyze
comes a minute later at best (and is off on some servers), so the planner would plan those queries
for empty tables (nested loops over millions of rows). Bulk writers note their row counts on the
connection; after the unit of work commits, tables that received at least ``MIN_ROWS`` rows and
10 % of their estimated size are analyzed (a 30k-row sample: well under a second per table).
"""

from __future__ import annotations

import logging
from collections import Counter

from psycopg import sql
from sqlalchemy import Connection, Engine, text

from iris_resources.db.persistence_log import log_event

MIN_ROWS = 50_000
GROWTH = 0.10
_KEY = "iris_bulk_rows"


def note_bulk_rows(connection: Connection, table: str, rows: int) -> None:
    """Remember that ``rows`` rows were bulk-written to ``table`` in this connection's transaction."""
    counts: Counter[str] = connection.info.setdefault(_KEY, Counter())
    counts[table] += rows


def forget_bulk_rows(connection: Connection) -> Counter[str]:
    """The counts noted since the last call (cleared: after a commit, or discarded on rollback)."""
    counts: Counter[str] = connection.info.pop(_KEY, None) or Counter()
    return counts


def analyze_grown_tables(engine: Engine, written: Counter[str]) -> list[str]:
    """ANALYZE the tables whose committed bulk writes are large relative to their size; returns them."""
    candidates = sorted(table for table, rows in written.items() if rows >= MIN_ROWS)
    if not candidates:
        return []
    analyzed: list[str] = []
    try:
        # ANALYZE outside any transaction: an autocommit connection, nothing to commit.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Tables of our schema only: a session's temporary staging tables are not visible here.
            estimates: dict[str, float] = dict(connection.execute(text(
                "SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relname = ANY(:names) AND c.relkind IN ('r', 'p')"),
                {"names": candidates}).tuples().all())
            driver = connection.connection.driver_connection
            assert driver is not None
            for table, estimate in sorted(estimates.items()):
                if written[table] >= GROWTH * max(float(estimate), 0.0):
                    driver.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
                    analyzed.append(table)
    except Exception as exc:  # statistics only speed later queries up: never fail committed work over them
        log_event("db.analyze_skipped", level=logging.WARNING, tables=candidates, error=type(exc).__name__)
        return analyzed
    if analyzed:
        log_event("db.analyzed", tables=analyzed)
    return analyzed
