"""Binary COPY of frames with text columns round-trips through PostgreSQL value for value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Engine, text

from iris_resources.market_data.repository import copy_frame


def test_text_nulls_empty_strings_and_unicode_survive_the_grouped_encoding(engine: Engine) -> None:
    n = 5_000
    labels = ["bullish", "bearish", "", None, "sideways_range", "élan→📈"]
    frame = pl.DataFrame({
        "id": pl.Series(range(n), dtype=pl.Int64),
        "label": pl.Series([labels[i % len(labels)] for i in range(n)], dtype=pl.String),
        "regime": pl.Series([None if i % 7 == 0 else f"r{i % 11}" for i in range(n)], dtype=pl.String),
        "value": pl.Series([None if i % 5 == 0 else i / 3 for i in range(n)], dtype=pl.Float64),
        "at": pl.Series([datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(n)],
                        dtype=pl.Datetime("us", "UTC")),
        "small": pl.Series([None if i % 3 == 0 else i % 100 for i in range(n)], dtype=pl.Int16),
    })
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE copy_layouts (id int8, label text, regime text, value float8, "
                                "at timestamptz, small int2)"))
        copy_frame(connection, "copy_layouts", frame, [("id", "int8"), ("label", "text"), ("regime", "text"),
                                                       ("value", "float8"), ("at", "timestamptz"), ("small", "int2")])
        stored = connection.execute(text(
            "SELECT id, label, regime, value, at, small FROM copy_layouts ORDER BY id")).all()
    assert len(stored) == n
    for row, expected in zip(stored, frame.iter_rows(), strict=True):
        assert (row[0], row[1], row[2], row[3], row[4].astimezone(UTC), row[5]) == expected
