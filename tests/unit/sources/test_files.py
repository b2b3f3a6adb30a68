"""The file source: generic CSV/Parquet, Binance kline dumps, directories and the shared real files."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from iris_resources.sources.base import CANDLE_SCHEMA, CandleSource, SourceError
from iris_resources.sources.files import FileCandleSource

MARKET_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "market"
EVER = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
JAN = datetime(2024, 1, 1, tzinfo=UTC)

# Two 15m rows in Binance's dump layout: ms open time (older dumps) and µs open time (2025 dumps).
BINANCE_ROWS = (
    "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704068099999,53957248.97,47134,682.57,28957416.82,0\n"
    "1704068100000000,42475.23,42775.00,42431.65,42613.56,1196.37856,1704068999999999,50984893.08,42057,599.04,25530954.41,0\n"
)


def load_all(source: FileCandleSource) -> pl.DataFrame:
    return source.fetch([coin.symbol for coin in source.universe()], *EVER).candles


def test_a_generic_csv_with_iso_times_loads_with_symbol_and_timeframe_from_its_name(tmp_path: Path) -> None:
    path = tmp_path / "ETHUSD_1h.csv"
    path.write_text(
        "Timestamp,Open,High,Low,Close,Volume\n"
        "2024-01-01T00:00:00Z,2300.5,2310,2290,2305.25,12.5\n"
        "2024-01-01 01:00:00,2305.25,2320,2300,2315,8\n"
        "2024-01-01T03:00:00+01:00,2315,2316,2301,2302,3.25\n"
    )
    source = FileCandleSource(path, sector="majors")
    assert isinstance(source, CandleSource) and source.name == "file"
    [coin] = source.universe()
    assert (coin.symbol, coin.base_timeframe, coin.sector) == ("ETHUSD", 60, "majors")
    assert [sector.code for sector in source.sectors()] == ["majors"]
    candles = load_all(source)
    assert candles.schema == pl.Schema(CANDLE_SCHEMA)
    assert candles["timestamp"].to_list() == [JAN, JAN + timedelta(hours=1), JAN + timedelta(hours=2)]
    assert candles.row(0) == ("ETHUSD", JAN, 2300.5, 2310.0, 2290.0, 2305.25, 12.5)


@pytest.mark.parametrize("scale", [1, 1000], ids=["epoch-seconds", "epoch-milliseconds"])
def test_a_csv_with_epoch_times_and_a_symbol_column_infers_the_timeframe_from_spacing(
    tmp_path: Path, scale: int
) -> None:
    first = int(JAN.timestamp())
    lines = ["time,symbol,open,high,low,close,volume"]
    for i in range(4):
        lines.append(f"{(first + 900 * i) * scale},BTC/USDT,{100 + i},{101 + i},{99 + i},{100.5 + i},{1 + i}")
        lines.append(f"{(first + 900 * i) * scale},ETH-USD,{10 + i},{11 + i},{9 + i},{10.5 + i},{2 + i}")
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(lines) + "\n")
    source = FileCandleSource(path)
    assert [(c.symbol, c.base_timeframe) for c in source.universe()] == [("BTCUSD", 15), ("ETHUSD", 15)]
    candles = load_all(source)
    assert candles.height == 8
    assert candles.filter(pl.col("symbol") == "ETHUSD")["timestamp"][-1] == JAN + timedelta(minutes=45)


def test_a_parquet_file_with_typed_columns_loads(tmp_path: Path) -> None:
    stamps = [datetime(2024, 2, 1, h) for h in range(0, 12, 4)]  # naive: read as UTC
    frame = pl.DataFrame(
        {"DATE": stamps, "open": [1.0, 2, 3], "high": [2.0, 3, 4], "low": [0.5, 1, 2], "close": [2.0, 3, 3.5]}
    ).with_columns(pl.lit(10, dtype=pl.Int32).alias("Volume"))
    path = tmp_path / "export.parquet"
    frame.write_parquet(path)
    source = FileCandleSource(path, symbol="sol/usdt")
    [coin] = source.universe()
    assert (coin.symbol, coin.base_timeframe) == ("SOLUSD", 240)
    candles = load_all(source)
    assert candles["timestamp"].to_list() == [stamp.replace(tzinfo=UTC) for stamp in stamps]
    assert candles["volume"].to_list() == [10.0, 10.0, 10.0]


def test_a_binance_kline_dump_loads_with_ms_and_us_open_times(tmp_path: Path) -> None:
    (tmp_path / "BTCUSDT-15m-2024-01.csv").write_text(BINANCE_ROWS)
    source = FileCandleSource(tmp_path / "BTCUSDT-15m-2024-01.csv")
    [coin] = source.universe()
    assert (coin.symbol, coin.base_timeframe) == ("BTCUSD", 15)
    candles = load_all(source)
    assert candles["timestamp"].to_list() == [JAN, JAN + timedelta(minutes=15)]
    assert candles["close"].to_list() == [42475.23, 42613.56]
    assert candles["volume"].to_list() == [1271.68108, 1196.37856]


def test_a_zipped_binance_dump_loads_from_its_member(tmp_path: Path) -> None:
    path = tmp_path / "ETHUSDT-1h-2024-03.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ETHUSDT-1h-2024-03.csv", BINANCE_ROWS)
    [coin] = FileCandleSource(path).universe()
    assert (coin.symbol, coin.base_timeframe) == ("ETHUSD", 60)


def test_a_directory_merges_monthly_dumps_and_skips_other_files(tmp_path: Path) -> None:
    (tmp_path / "BTCUSDT-15m-2024-01.csv").write_text(BINANCE_ROWS)
    february = BINANCE_ROWS.replace("17040", "17067")  # the same rows, shifted into February
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "BTCUSDT-15m-2024-02.csv").write_text(february)
    (tmp_path / "README.md").write_text("not candles")
    (tmp_path / ".hidden.csv").write_text("garbage")
    source = FileCandleSource(tmp_path)
    assert [c.symbol for c in source.universe()] == ["BTCUSD"]
    candles = load_all(source)
    assert candles.height == 4
    assert candles["timestamp"].is_sorted()
    window = source.fetch(["BTCUSD"], JAN, JAN + timedelta(minutes=15)).candles
    assert window["timestamp"].to_list() == [JAN]  # the end is exclusive


def test_files_that_disagree_on_a_symbols_timeframe_are_refused(tmp_path: Path) -> None:
    (tmp_path / "BTCUSDT-15m-2024-01.csv").write_text(BINANCE_ROWS)
    (tmp_path / "BTCUSDT-1h-2024-01.csv").write_text(BINANCE_ROWS)
    with pytest.raises(SourceError, match=r"BTCUSD comes from files.*BTCUSDT-15m.*BTCUSDT-1h"):
        FileCandleSource(tmp_path).universe()


REAL_FILES = sorted(MARKET_DIR.glob("*.csv")) if MARKET_DIR.is_dir() else []
needs_real_files = pytest.mark.skipif(not REAL_FILES, reason="../shared/data/market is not present")


@needs_real_files
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_every_shared_real_file_loads_completely(path: Path) -> None:
    lines = path.read_text().splitlines()
    batch = FileCandleSource(path).fetch([c.symbol for c in FileCandleSource(path).universe()], *EVER)
    assert batch.rejects.height == 0
    assert batch.candles.height == len(lines) - 1
    first = datetime.fromisoformat(lines[1].split(",")[0].replace("Z", "+00:00"))
    assert batch.candles["timestamp"][0] == first
    assert batch.candles["close"][-1] == float(lines[-1].split(",")[4])


@needs_real_files
@pytest.mark.parametrize(
    ("name", "symbol", "timeframe", "rows"),
    [
        ("coinbase_BTC-USD_1h.csv", "BTCUSD", 60, 20111),
        ("binance_ADA-USDT-PERP_1m.csv", "ADAUSDPERP", 1, 1440),
        ("bitstamp_ETH-USD_1d.csv", "ETHUSD", 1440, 788),
        ("coinbase_BTC-EUR_1m.csv", "BTCEUR", 1, 3663),
    ],
)
def test_shared_real_files_get_symbol_and_timeframe_from_their_names(
    name: str, symbol: str, timeframe: int, rows: int
) -> None:
    source = FileCandleSource(MARKET_DIR / name)
    [coin] = source.universe()
    assert (coin.symbol, coin.base_timeframe) == (symbol, timeframe)
    assert load_all(source).height == rows
