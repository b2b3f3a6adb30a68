"""Bad and degenerate input: short series, flat prices, zero volume, gaps, nulls and ordering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
import talib

from iris_assets.indicators import directional, moving_averages, oscillators, volatility, volume
from iris_assets.indicators.engine import ALL_COLUMNS, CANDLE_COLUMNS, compute_indicators

T0 = datetime(2024, 1, 1, tzinfo=UTC)
FLOAT_COLUMNS = [name for name in ALL_COLUMNS if name not in CANDLE_COLUMNS]


def _frame(
    close: np.ndarray,
    *,
    spread: float = 0.0,
    vol: np.ndarray | None = None,
    hours: int = 1,
) -> pl.DataFrame:
    count = close.shape[0]
    return pl.DataFrame(
        {
            "timestamp": [T0 + timedelta(hours=hours * i) for i in range(count)],
            "open": close,
            "high": close + spread,
            "low": close - spread,
            "close": close,
            "volume": np.ones(count) if vol is None else vol,
        }
    )


def _finite_or_null(frame: pl.DataFrame) -> bool:
    """No NaN or infinity anywhere: undefined values must be nulls."""
    return all(
        frame.get_column(name).fill_null(0.0).is_finite().all()
        for name in FLOAT_COLUMNS
        if not frame.get_column(name).is_empty()
    )


@pytest.mark.parametrize("length", [0, 1, 2, 5, 13, 19, 26, 33])
def test_series_shorter_than_the_warm_up_give_nulls_not_errors(length: int) -> None:
    close = 100.0 + np.arange(length, dtype=float)
    result = compute_indicators(_frame(close, spread=1.0))
    assert result.height == length
    assert result.get_column("sma_200").null_count() == length
    assert result.get_column("macd").null_count() == length
    assert result.get_column("adx_14").null_count() == min(length, 27)
    assert (result.get_column("cdl_3_black_crows") == 0).all()
    assert _finite_or_null(result)


@pytest.mark.parametrize("length", [0, 1, 3, 10])
def test_individual_functions_return_all_nan_for_short_input(length: int) -> None:
    values = np.linspace(1.0, 2.0, length)
    for result in (
        moving_averages.sma(values, 20),
        moving_averages.ema(values, 20),
        oscillators.rsi(values, 14),
        volatility.atr(values, values, values, 14),
        directional.adx(values, values, values, 14),
        *moving_averages.macd(values),
        *volatility.bollinger_bands(values),
    ):
        assert result.shape == (length,)
        assert np.isnan(result).all()


def test_constant_prices_match_talib_without_division_errors() -> None:
    close = np.full(300, 42.0)
    result = compute_indicators(_frame(close))
    assert _finite_or_null(result)
    references: dict[str, np.ndarray] = {
        "rsi_14": talib.RSI(close, 14),  # TA-Lib: 0.0 for a flat series (not the reference's 100)
        "atr_14": talib.ATR(close, close, close, 14),
        "adx_14": talib.ADX(close, close, close, 14),
        "plus_di_14": talib.PLUS_DI(close, close, close, 14),
        "bb_upper": talib.BBANDS(close, 20, 2.0, 2.0, talib.MA_Type.SMA)[0],
        "stoch_k": talib.STOCH(close, close, close)[0],
        "willr_14": talib.WILLR(close, close, close, 14),
        "cci_14": talib.CCI(close, close, close, 14),
        "macd_histogram": talib.MACD(close)[2],
    }
    for column, expected in references.items():
        ours = result.get_column(column).to_numpy()
        defined = ~np.isnan(expected)
        assert np.array_equal(np.isnan(ours), ~defined), column
        assert np.array_equal(ours[defined], expected[defined]), column
    assert result.get_column("rsi_14").drop_nulls().unique().to_list() == [0.0]
    assert result.get_column("bb_width").drop_nulls().unique().to_list() == [0.0]


def test_a_flat_stretch_inside_a_moving_series_matches_talib(
    assert_parity: Callable[..., None],
) -> None:
    rng = np.random.default_rng(3)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 600)))
    close[200:300] = close[199]
    high, low = close * 1.001, close * 0.999
    high[200:300], low[200:300] = close[199], close[199]
    upper = talib.BBANDS(close, 20, 2.0, 2.0, talib.MA_Type.SMA)[0]
    assert_parity(volatility.bollinger_bands(close)[0], upper)
    assert_parity(directional.adx(high, low, close), talib.ADX(high, low, close, 14))
    assert_parity(oscillators.rsi(close), talib.RSI(close, 14))
    assert_parity(oscillators.stoch(high, low, close)[0], talib.STOCH(high, low, close)[0], exact=True)


def test_zero_volume_gives_zero_obv_and_mfi_and_null_volume_ratio() -> None:
    close = 100.0 + np.sin(np.arange(80) / 3.0)
    quiet = np.zeros(80)
    result = compute_indicators(_frame(close, spread=0.5, vol=quiet))
    assert _finite_or_null(result)
    assert (result.get_column("obv") == 0.0).all()
    assert result.get_column("volume_sma_20").drop_nulls().unique().to_list() == [0.0]
    assert result.get_column("mfi_14").drop_nulls().unique().to_list() == [0.0]
    # TA-Lib's RVOL is NaN (0/0) here; the engine reports null instead of a non-finite ratio.
    assert np.isnan(talib.RVOL(quiet, 20)[20:]).all()
    assert result.get_column("volume_ratio_20").null_count() == 80


def test_volume_after_a_silent_window_is_null_where_talib_divides_by_zero() -> None:
    bursts = np.zeros(60)
    bursts[30] = 5.0
    ours = volume.relative_volume(bursts, 20)
    theirs = talib.RVOL(bursts, 20)
    assert np.isinf(theirs[30])
    assert np.isnan(ours[30])
    assert np.array_equal(np.isnan(ours), ~np.isfinite(theirs))
    defined = np.isfinite(theirs)
    assert np.array_equal(ours[defined], theirs[defined])


def test_null_volume_counts_as_zero() -> None:
    frame = _frame(np.linspace(10.0, 20.0, 50), spread=0.2).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("volume")).alias("volume")
    )
    filled = frame.with_columns(pl.col("volume").fill_null(0.0))
    expected = compute_indicators(filled).with_columns(frame.get_column("volume"))
    assert compute_indicators(frame).equals(expected)


def test_gaps_are_not_filled_the_engine_uses_consecutive_rows() -> None:
    rng = np.random.default_rng(8)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 400)))
    frame = _frame(close, spread=0.3)
    gapped = frame.filter((pl.int_range(pl.len()) % 10) != 3)  # drop every tenth bar
    result = compute_indicators(gapped, columns=["sma_20", "rsi_14", "atr_14"])
    kept = gapped.get_column("close").to_numpy()
    assert np.array_equal(result.get_column("sma_20").to_numpy()[19:], talib.SMA(kept, 20)[19:])
    rsi = result.get_column("rsi_14").to_numpy()
    assert np.allclose(rsi[14:], talib.RSI(kept, 14)[14:], rtol=1e-12, atol=0.0)


def test_null_or_non_finite_prices_are_rejected() -> None:
    frame = _frame(np.linspace(1.0, 2.0, 30))
    with pytest.raises(ValueError, match="close contains nulls"):
        compute_indicators(frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("close")))
    with pytest.raises(ValueError, match="high contains non-finite"):
        compute_indicators(frame.with_columns(pl.lit(float("inf")).alias("high")))


def test_unsorted_timestamps_and_split_groups_are_rejected() -> None:
    frame = _frame(np.linspace(1.0, 2.0, 30))
    with pytest.raises(ValueError, match="strictly increasing"):
        compute_indicators(frame.reverse())
    split = pl.concat([frame.with_columns(coin_id=pl.lit(1)), frame.with_columns(coin_id=pl.lit(2))])
    with pytest.raises(ValueError, match="contiguous"):
        compute_indicators(pl.concat([split.head(10), split.tail(30), split.slice(10, 20)]), by="coin_id")


def test_each_group_may_restart_its_clock() -> None:
    first = _frame(np.linspace(1.0, 2.0, 40)).with_columns(coin_id=pl.lit(1))
    second = _frame(np.linspace(5.0, 3.0, 40)).with_columns(coin_id=pl.lit(2))
    result = compute_indicators(pl.concat([first, second]), by="coin_id", columns=["ema_12"])
    ema = result.get_column("ema_12")
    assert ema.slice(0, 11).null_count() == 11 and ema.slice(40, 11).null_count() == 11
    assert ema.slice(11, 29).null_count() == 0 and ema.slice(51, 29).null_count() == 0


def test_unknown_columns_are_rejected_and_a_subset_is_honoured() -> None:
    frame = _frame(np.linspace(1.0, 2.0, 30))
    with pytest.raises(ValueError, match="unknown indicator columns"):
        compute_indicators(frame, columns=["sma_21"])
    result = compute_indicators(frame, columns=["obv", "cdl_doji"])
    assert result.columns == [*frame.columns, "obv", "cdl_doji"]


def test_an_empty_frame_returns_an_empty_frame_with_all_columns() -> None:
    result = compute_indicators(_frame(np.zeros(0)))
    assert result.height == 0
    assert set(ALL_COLUMNS) <= set(result.columns)


def test_tiny_prices_are_not_mistaken_for_flat_ones(assert_parity: Callable[..., None]) -> None:
    rng = np.random.default_rng(21)
    close = 1e-9 * np.exp(np.cumsum(rng.normal(0.0, 0.02, 500)))
    high, low = close * 1.01, close * 0.99
    assert_parity(oscillators.willr(high, low, close), talib.WILLR(high, low, close, 14), exact=True)
    assert_parity(oscillators.cci(high, low, close), talib.CCI(high, low, close, 14), exact=True)
    assert_parity(oscillators.rsi(close), talib.RSI(close, 14))
    assert oscillators.rsi(close)[14:].std() > 1.0  # a real oscillator, not zeroed by an absolute epsilon
