"""Indicator values equal TA-Lib's (``import talib``) over the full history, warm-up included."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
import talib

from iris_assets.indicators import directional, moving_averages, oscillators, volatility, volume
from iris_assets.indicators.engine import ALL_COLUMNS, CANDLE_COLUMNS, compute_indicators

Candles = dict[str, np.ndarray]
Spec = tuple[Callable[[Candles], np.ndarray], Callable[[Candles], np.ndarray], bool]


def _hlc(d: Candles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return d["high"], d["low"], d["close"]


def _sma(period: int) -> Spec:
    return (
        lambda d: moving_averages.sma(d["close"], period),
        lambda d: talib.SMA(d["close"], period),
        True,
    )


def _ema(period: int) -> Spec:
    return (
        lambda d: moving_averages.ema(d["close"], period),
        lambda d: talib.EMA(d["close"], period),
        False,
    )


def _macd(output: int) -> Spec:
    return (
        lambda d: moving_averages.macd(d["close"])[output],
        lambda d: talib.MACD(d["close"])[output],
        False,
    )


def _bbands(output: int) -> Spec:
    return (
        lambda d: volatility.bollinger_bands(d["close"], 20, 2.0)[output],
        lambda d: talib.BBANDS(d["close"], 20, 2.0, 2.0, talib.MA_Type.SMA)[output],
        output == 1,  # the middle band is the SMA, bit-identical; the bands carry the variance
    )


def _stoch(output: int) -> Spec:
    return (
        lambda d: oscillators.stoch(*_hlc(d))[output],
        lambda d: talib.STOCH(*_hlc(d))[output],
        True,
    )


def _stochrsi(output: int) -> Spec:
    return (
        lambda d: oscillators.stochrsi(d["close"])[output],
        lambda d: talib.STOCHRSI(d["close"])[output],
        False,
    )


# name -> (engine function, TA-Lib function, bit-identical?). Running sums, differences and
# comparisons reproduce TA-Lib's bits; recursions (EMA/Wilder) agree to ~1e-15 relative.
SPECS: dict[str, Spec] = {
    **{f"sma_{p}": _sma(p) for p in (20, 50, 200)},
    **{f"ema_{p}": _ema(p) for p in (12, 20, 26, 50, 200)},
    **{f"macd_{i}": _macd(i) for i in range(3)},
    **{f"bbands_{i}": _bbands(i) for i in range(3)},
    **{f"stoch_{i}": _stoch(i) for i in range(2)},
    **{f"stochrsi_{i}": _stochrsi(i) for i in range(2)},
    "rsi_14": (lambda d: oscillators.rsi(d["close"], 14), lambda d: talib.RSI(d["close"], 14), False),
    "trange": (lambda d: volatility.true_range(*_hlc(d)), lambda d: talib.TRANGE(*_hlc(d)), True),
    "atr_14": (lambda d: volatility.atr(*_hlc(d), 14), lambda d: talib.ATR(*_hlc(d), 14), False),
    "natr_14": (lambda d: volatility.natr(*_hlc(d), 14), lambda d: talib.NATR(*_hlc(d), 14), False),
    "adx_14": (lambda d: directional.adx(*_hlc(d), 14), lambda d: talib.ADX(*_hlc(d), 14), False),
    "plus_di_14": (lambda d: directional.plus_di(*_hlc(d), 14), lambda d: talib.PLUS_DI(*_hlc(d), 14), False),
    "minus_di_14": (
        lambda d: directional.minus_di(*_hlc(d), 14),
        lambda d: talib.MINUS_DI(*_hlc(d), 14),
        False,
    ),
    "obv": (
        lambda d: volume.obv(d["close"], d["volume"]),
        lambda d: talib.OBV(d["close"], d["volume"]),
        True,
    ),
    "volume_sma_20": (
        lambda d: volume.volume_sma(d["volume"], 20),
        lambda d: talib.SMA(d["volume"], 20),
        True,
    ),
    "rvol_20": (
        lambda d: volume.relative_volume(d["volume"], 20),
        lambda d: talib.RVOL(d["volume"], 20),
        True,
    ),
    "mfi_14": (
        lambda d: volume.mfi(*_hlc(d), d["volume"], 14),
        lambda d: talib.MFI(*_hlc(d), d["volume"], 14),
        True,
    ),
    "vwap": (lambda d: volume.vwap(*_hlc(d), d["volume"]), lambda d: talib.VWAP(*_hlc(d), d["volume"]), True),
    "cci_14": (lambda d: oscillators.cci(*_hlc(d), 14), lambda d: talib.CCI(*_hlc(d), 14), True),
    "willr_14": (lambda d: oscillators.willr(*_hlc(d), 14), lambda d: talib.WILLR(*_hlc(d), 14), True),
    "roc_10": (lambda d: oscillators.roc(d["close"], 10), lambda d: talib.ROC(d["close"], 10), True),
    "mom_10": (lambda d: oscillators.mom(d["close"], 10), lambda d: talib.MOM(d["close"], 10), True),
}

# Engine column -> TA-Lib output for the same bars.
ENGINE_REFERENCE: dict[str, Callable[[Candles], np.ndarray]] = {
    **{f"sma_{p}": SPECS[f"sma_{p}"][1] for p in (20, 50, 200)},
    **{f"ema_{p}": SPECS[f"ema_{p}"][1] for p in (12, 20, 26, 50, 200)},
    "rsi_14": SPECS["rsi_14"][1],
    "macd": SPECS["macd_0"][1],
    "macd_signal": SPECS["macd_1"][1],
    "macd_histogram": SPECS["macd_2"][1],
    "bb_upper": SPECS["bbands_0"][1],
    "bb_middle": SPECS["bbands_1"][1],
    "bb_lower": SPECS["bbands_2"][1],
    "true_range": SPECS["trange"][1],
    **{name: SPECS[name][1] for name in ("atr_14", "natr_14", "adx_14", "plus_di_14", "minus_di_14")},
    **{name: SPECS[name][1] for name in ("obv", "volume_sma_20", "mfi_14", "cci_14", "willr_14")},
    **{name: SPECS[name][1] for name in ("roc_10", "mom_10")},
    "volume_ratio_20": SPECS["rvol_20"][1],
    "stoch_k": SPECS["stoch_0"][1],
    "stoch_d": SPECS["stoch_1"][1],
    "stochrsi_k": SPECS["stochrsi_0"][1],
    "stochrsi_d": SPECS["stochrsi_1"][1],
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_indicator_matches_talib_on_synthetic_random_walks(
    name: str, synthetic: Candles, assert_parity: Callable[..., None]
) -> None:
    ours, theirs, exact = SPECS[name]
    assert_parity(ours(synthetic), theirs(synthetic), exact=exact)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_indicator_matches_talib_on_real_btc_hourly_candles(
    name: str, btc: Candles, assert_parity: Callable[..., None]
) -> None:
    ours, theirs, exact = SPECS[name]
    assert_parity(ours(btc), theirs(btc), exact=exact)


def test_every_engine_column_matches_talib_on_real_btc_candles(
    btc_frame: pl.DataFrame, btc: Candles, assert_parity: Callable[..., None]
) -> None:
    result = compute_indicators(btc_frame)
    assert result.height == btc_frame.height
    assert set(ALL_COLUMNS) <= set(result.columns)
    for column, reference in ENGINE_REFERENCE.items():
        assert_parity(result.get_column(column).to_numpy(), reference(btc))


def test_engine_columns_match_talib_on_a_synthetic_series(
    synthetic: Candles, assert_parity: Callable[..., None]
) -> None:
    result = compute_indicators(pl.DataFrame(synthetic))
    for column, reference in ENGINE_REFERENCE.items():
        assert_parity(result.get_column(column).to_numpy(), reference(synthetic))


def test_warm_up_rows_are_null_exactly_where_talib_returns_nan(btc_frame: pl.DataFrame) -> None:
    result = compute_indicators(btc_frame.head(300))
    first_valid = {
        "sma_200": 199,
        "ema_12": 11,
        "rsi_14": 14,
        "macd": 33,
        "macd_signal": 33,
        "macd_histogram": 33,
        "bb_upper": 19,
        "atr_14": 14,
        "adx_14": 27,
        "plus_di_14": 14,
        "obv": 0,
        "volume_ratio_20": 20,
    }
    for column, index in first_valid.items():
        values = result.get_column(column)
        assert values.head(index).null_count() == index, column
        assert values.slice(index).null_count() == 0, column


def test_each_group_is_computed_as_its_own_series(make_candles: Callable[..., Candles]) -> None:
    first, second = pl.DataFrame(make_candles(11, 400)), pl.DataFrame(make_candles(12, 250, price=3.0))
    both = pl.concat([first.with_columns(coin_id=pl.lit(1)), second.with_columns(coin_id=pl.lit(2))])
    combined = compute_indicators(both, by="coin_id")
    alone = pl.concat([compute_indicators(first), compute_indicators(second)])
    assert combined.height == both.height
    for column in ALL_COLUMNS:
        assert combined.get_column(column).equals(alone.get_column(column)), column


def test_the_reference_ema_example_holds() -> None:
    result = moving_averages.ema(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 3)
    assert np.isnan(result[:2]).all()
    assert result[2:].tolist() == [2.0, 3.0, 4.0]


def test_bollinger_width_is_the_band_spread_over_the_middle_band(btc_frame: pl.DataFrame) -> None:
    bands = ["bb_upper", "bb_middle", "bb_lower", "bb_width"]
    result = compute_indicators(btc_frame.head(100), columns=bands)
    expected = (pl.col("bb_upper") - pl.col("bb_lower")) / pl.col("bb_middle")
    check = result.select((pl.col("bb_width") - expected).abs().max()).item()
    assert check == 0.0
    assert result.get_column("bb_width").null_count() == 19


def test_candlestick_columns_are_int32_in_talib_convention(btc_frame: pl.DataFrame) -> None:
    result = compute_indicators(btc_frame, columns=CANDLE_COLUMNS)
    for column in CANDLE_COLUMNS:
        values = result.get_column(column)
        assert values.dtype == pl.Int32
        assert set(values.unique().to_list()) <= {-100, -80, 0, 80, 100}
