"""The file source on bad input: missing, empty, malformed and partly unparseable files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from iris_resources.sources.base import REJECT_SCHEMA, SourceError
from iris_resources.sources.files import FileCandleSource

EVER = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
JAN = datetime(2024, 1, 1, tzinfo=UTC)


def test_a_missing_path_is_a_source_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "BTCUSDT-15m-2024-01.csv"
    with pytest.raises(SourceError, match="no such file") as error:
        FileCandleSource(missing).universe()
    assert str(missing) in str(error.value)


def test_a_row_with_the_wrong_number_of_fields_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSD_15m.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n"
        "\n"  # blank lines are skipped but still counted
        "2024-01-01T00:15:00Z,1,2,0.5,1.5\n"
    )
    with pytest.raises(SourceError, match=r"BTCUSD_15m\.csv: line 4: expected 6 fields, found 5"):
        FileCandleSource(path).universe()


def test_an_unparseable_price_is_rejected_with_its_line_while_the_rest_loads(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSD_15m.csv"
    bad = "2024-01-01T00:15:00Z,1,2,0.5,n/a,10"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        f"2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n{bad}\n2024-01-01T00:30:00Z,1,2,0.5,1.25,10\n"
    )
    batch = FileCandleSource(path).fetch(["BTCUSD"], *EVER)
    assert batch.candles["close"].to_list() == [1.5, 1.25]
    assert batch.rejects.schema == pl.Schema(REJECT_SCHEMA)
    [reject] = batch.rejects.to_dicts()
    assert (reject["reason"], reject["line"], reject["raw"]) == ("unparseable", 3, bad)
    assert reject["symbol"] == "BTCUSD" and reject["timestamp"] == JAN + timedelta(minutes=15)
    assert "line 3" in reject["detail"] and "close" in reject["detail"] and bad in reject["detail"]


def test_a_row_with_an_unparseable_time_is_reported_once_in_its_neighbours_window(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSD_1d.csv"
    path.write_text(
        "\n".join(
            [
                "date,open,high,low,close,volume",
                "2024-01-01,1,2,0.5,1.5,10",
                "yesterday,1,2,0.5,1.5,oops",
            ]
        )
    )
    first_day = FileCandleSource(path).fetch(["BTCUSD"], JAN, JAN + timedelta(days=1))
    next_day = FileCandleSource(path).fetch(["BTCUSD"], JAN + timedelta(days=1), JAN + timedelta(days=2))
    [reject] = first_day.rejects.to_dicts()
    assert reject["timestamp"] is None and reject["line"] == 3
    assert "timestamp, volume" in reject["detail"]
    assert next_day.rejects.height == 0


def test_an_empty_file_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSD_15m.csv"
    path.write_text("  \n")
    with pytest.raises(SourceError, match=r"BTCUSD_15m\.csv: line 1: file is empty"):
        FileCandleSource(path).universe()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("when,o,h,l,c,v\n2024-01-01,1,2,0.5,1.5,10\n", r"line 1: no recognisable header"),
        ("timestamp,open,high,low,close\n2024-01-01,1,2,0.5,1.5\n", r"line 1: header lacks columns: volume"),
    ],
    ids=["unknown-columns", "missing-volume"],
)
def test_a_file_without_a_usable_header_is_a_source_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "BTCUSD_1d.csv"
    path.write_text(content)
    with pytest.raises(SourceError, match=message):
        FileCandleSource(path).universe()


def test_a_file_that_is_not_utf8_names_the_offending_line(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSD_1d.csv"
    path.write_bytes(
        b"\n".join(
            [
                b"timestamp,open,high,low,close,volume",
                b"2024-01-01,1,2,0.5,1.5,10",
                b"2024-01-02,\xff,2,1,1,1",
            ]
        )
    )
    with pytest.raises(SourceError, match=r"BTCUSD_1d\.csv: line 3: not UTF-8"):
        FileCandleSource(path).universe()


def test_a_file_whose_symbol_cannot_be_told_asks_for_one(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("timestamp,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,10\n")
    with pytest.raises(SourceError, match="cannot tell the symbol"):
        FileCandleSource(path).universe()
    [coin] = FileCandleSource(path, symbol="DOGEUSDT", timeframe=1440).universe()
    assert (coin.symbol, coin.base_timeframe) == ("DOGEUSD", 1440)
