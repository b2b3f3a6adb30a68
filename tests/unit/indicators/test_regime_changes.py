"""Regime changes between consecutive bars of a coin (``regime_change_rows``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl
from polars.testing import assert_frame_equal

from iris_assets.indicators.regimes import regime_change_rows

T0 = datetime(2024, 2, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
RESULT_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timestamp": pl.Datetime("us", "UTC"),
    "regime": pl.String(),
    "previous_regime": pl.String(),
    "confidence": pl.Float64(),
}


def bars(regimes: Sequence[str | None], *, coin_id: int = 1, start: datetime = T0) -> pl.DataFrame:
    """Hourly bars of one coin; the confidence of bar i is i / 100 so rows can be told apart."""
    count = len(regimes)
    return pl.DataFrame(
        {
            "coin_id": [coin_id] * count,
            "timestamp": [start + i * HOUR for i in range(count)],
            "close": [100.0] * count,
            "market_regime": list(regimes),
            "regime_confidence": [None if r is None else i / 100 for i, r in enumerate(regimes)],
        },
        schema={
            "coin_id": pl.Int32,
            "timestamp": pl.Datetime("us", "UTC"),
            "close": pl.Float64,
            "market_regime": pl.String,
            "regime_confidence": pl.Float64,
        },
    )


def changes(*rows: tuple[int, int, str, str | None, float]) -> pl.DataFrame:
    """(coin_id, hour, regime, previous_regime, confidence) rows."""
    return pl.DataFrame(
        [
            {"coin_id": c, "timestamp": T0 + h * HOUR, "regime": r, "previous_regime": p, "confidence": conf}
            for c, h, r, p, conf in rows
        ],
        schema=RESULT_SCHEMA,
    )


def test_the_first_regime_of_a_coin_is_a_change_from_null() -> None:
    result = regime_change_rows(bars([None, None, "sideways_range", "sideways_range"]), T0)

    assert_frame_equal(result, changes((1, 2, "sideways_range", None, 0.02)))


def test_consecutive_equal_regimes_produce_nothing() -> None:
    result = regime_change_rows(bars(["bull_trend"] * 5), T0 + HOUR)

    assert result.is_empty()
    assert result.schema == pl.Schema(RESULT_SCHEMA)


def test_only_changes_at_or_after_since_are_kept_with_their_previous_regime() -> None:
    frame = bars(["low_volatility", "bull_trend", "bull_trend", "high_volatility", "high_volatility", "bull_trend"])

    result = regime_change_rows(frame, T0 + 3 * HOUR)

    assert_frame_equal(
        result,
        changes(
            (1, 3, "high_volatility", "bull_trend", 0.03),
            (1, 5, "bull_trend", "high_volatility", 0.05),
        ),
    )


def test_a_change_exactly_at_since_is_kept_and_one_just_before_is_not() -> None:
    frame = bars(["bull_trend", "bear_trend", "sideways_range"])

    assert regime_change_rows(frame, T0 + 2 * HOUR).get_column("regime").to_list() == ["sideways_range"]
    assert regime_change_rows(frame, T0 + HOUR).get_column("regime").to_list() == ["bear_trend", "sideways_range"]


def test_a_regime_unchanged_from_the_bar_before_since_is_not_a_change() -> None:
    # The bar before ``since`` (the seeding warm-up) supplies the previous regime of the first kept bar.
    result = regime_change_rows(bars(["bear_trend", "bear_trend", "bear_trend"]), T0 + HOUR)

    assert result.is_empty()


def test_null_regimes_are_never_changes() -> None:
    result = regime_change_rows(bars([None, None, None]), T0)

    assert result.is_empty()


def test_regimes_never_compare_across_coins() -> None:
    coin_1 = bars(["bull_trend", "bull_trend"], coin_id=1)
    coin_2 = bars(["bull_trend", "bear_trend"], coin_id=2)

    result = regime_change_rows(pl.concat([coin_1, coin_2]), T0)

    assert_frame_equal(
        result,
        changes(
            (1, 0, "bull_trend", None, 0.0),
            (2, 0, "bull_trend", None, 0.0),
            (2, 1, "bear_trend", "bull_trend", 0.01),
        ),
    )
