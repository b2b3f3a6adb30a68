"""Sector momentum and rotation on percent metrics (spec §2.3–2.4)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from iris_assets.cross_market import detect_rotation, sector_momentum

SCHEMA = {"sector_id": pl.Int32, "sector": pl.String, "price_change_24h_pct": pl.Float64,
          "volume_change_24h_pct": pl.Float64, "volatility": pl.Float64}


def _coins(rows: list[tuple[int, str, float | None, float | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def _by_sector(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["sector"]: row for row in frame.iter_rows(named=True)}


def test_a_rising_sector_on_rising_volume_is_bullish_and_tops_a_falling_one() -> None:
    momentum = sector_momentum(_coins([(1, "smart_contract", 6.0, 20.0, 0.01), (2, "defi", -3.0, -8.0, 0.02)]), 60)
    sectors = _by_sector(momentum)
    assert sectors["smart_contract"]["trend"] == "bullish" and sectors["defi"]["trend"] == "bearish"
    assert momentum["sector"][0] == "smart_contract"
    assert sectors["smart_contract"]["relative_strength"] == pytest.approx(6.0 - 1.5)


def test_five_coins_in_three_sectors_average_per_sector_and_classify_each_trend() -> None:
    momentum = sector_momentum(_coins([
        (1, "smart_contract", 5.0, 22.0, 0.02), (1, "smart_contract", 7.0, 24.0, 0.04),
        (2, "defi", -2.6, -7.5, 0.03), (2, "defi", -3.0, -8.5, None),
        (3, "gaming", 0.4, -3.0, 0.05),
    ]), 240)
    sectors = _by_sector(momentum)
    smart, defi, gaming = sectors["smart_contract"], sectors["defi"], sectors["gaming"]
    assert smart["avg_price_change_24h_pct"] == pytest.approx(6.0) and smart["avg_volume_change_24h_pct"] == 23.0
    assert (smart["trend"], defi["trend"], gaming["trend"]) == ("bullish", "bearish", "sideways")
    assert smart["relative_strength"] > defi["relative_strength"]
    assert defi["volatility"] == pytest.approx(0.03)  # a missing volatility is left out of the mean
    assert smart["capital_flow"] == pytest.approx((0.22 + 0.5 + 0.24 + 0.7) / 2)
    assert smart["sector_strength"] == smart["avg_price_change_24h_pct"] and smart["timeframe"] == 240
    assert sum(row["relative_strength"] for row in sectors.values()) == pytest.approx(0.0)


def test_strong_prices_on_falling_volume_count_as_sideways() -> None:
    momentum = sector_momentum(_coins([(1, "ai", 4.0, -1.0, 0.02)]), 60)
    assert momentum["trend"].to_list() == ["sideways"]


def test_a_coin_missing_one_input_is_left_out_of_the_capital_flow_mean_only() -> None:
    momentum = sector_momentum(_coins([(1, "ai", 4.0, None, 0.02), (1, "ai", 2.0, 10.0, 0.02)]), 60)
    row = momentum.row(0, named=True)
    assert row["capital_flow"] == pytest.approx(0.1 + 0.2)
    assert row["avg_price_change_24h_pct"] == pytest.approx(3.0) and row["avg_volume_change_24h_pct"] == 10.0


def test_a_change_of_top_sector_is_a_rotation_and_the_first_snapshot_is_not() -> None:
    first = sector_momentum(_coins([(1, "defi", 3.0, 5.0, 0.01), (2, "ai", -1.0, 5.0, 0.01)]), 60)
    second = sector_momentum(_coins([(1, "defi", -2.0, 5.0, 0.01), (2, "ai", 4.0, 5.0, 0.01)]), 60)
    assert detect_rotation(None, first) is None
    assert detect_rotation(first, first) is None
    rotation = detect_rotation(first, second)
    assert rotation is not None
    assert (rotation.source_sector, rotation.target_sector, rotation.timeframe) == ("defi", "ai", 60)
    assert (rotation.source_strength, rotation.target_strength) == pytest.approx((2.0, 3.0))


def test_ties_go_to_the_alphabetically_smaller_sector() -> None:
    momentum = sector_momentum(_coins([(5, "zk", 2.0, 1.0, 0.01), (6, "ai", 2.0, 1.0, 0.01)]), 60)
    assert momentum["sector"].to_list() == ["ai", "zk"]
