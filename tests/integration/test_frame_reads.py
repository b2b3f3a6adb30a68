"""Large reads through ``COPY … TO STDOUT`` give what a row-by-row read gives, timestamps included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Column, DateTime, Engine, Float, Integer, MetaData, String, Table, func, insert, select

from iris_resources.db.frames import column_kinds
from iris_resources.indicators.queries import read_frame

METADATA = MetaData()
READS = Table("frame_reads", METADATA, Column("id", Integer), Column("at", DateTime(timezone=True)),
              Column("label", String), Column("value", Float))
# Microsecond fractions, dates before 1970 and far ahead, a null: each must come back exact.
MOMENTS = [datetime(2024, 12, 1, 0, 15, tzinfo=UTC), datetime(2024, 12, 1, 0, 15, 0, 123457, tzinfo=UTC),
           datetime(1969, 7, 20, 20, 17, 40, 999999, tzinfo=UTC),
           datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), None]


def test_copy_reads_match_row_reads_to_the_microsecond(engine: Engine) -> None:
    rows = [{"id": i, "at": MOMENTS[i % len(MOMENTS)] if i < 50 else datetime(2024, 1, 1, tzinfo=UTC)
             + timedelta(microseconds=7 * i), "label": None if i % 4 == 0 else f"l{i}", "value": i / 7}
            for i in range(2_000)]
    # Expression columns whose output names differ from their keys, in a non-trivial order.
    statement = select(READS.c.id, READS.c.at, (READS.c.at + func.make_interval(0, 0, 0, 1)).label("next_day"),
                       READS.c.label, READS.c.value).order_by(READS.c.value.desc())
    assert column_kinds(statement) is not None  # the COPY path, not the row fallback
    with engine.begin() as connection:
        METADATA.create_all(connection)
        connection.execute(insert(READS), rows)
        frame = read_frame(connection, statement)
        expected = connection.execute(statement).all()
    assert frame.schema["at"] == pl.Datetime("us", "UTC") and frame.schema["next_day"] == pl.Datetime("us", "UTC")
    assert [tuple(r) for r in frame.iter_rows()] == [
        (row[0], _utc(row[1]), _utc(row[2]), row[3], row[4]) for row in expected]
    assert frame.get_column("id").to_list()[:3] == [1999, 1998, 1997]  # the statement's order survives


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None
