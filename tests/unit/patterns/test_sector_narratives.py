"""Sector narratives on hand-built snapshots (reference 3.4)."""

from __future__ import annotations

import polars as pl

from iris_assets.patterns.narratives import sector_narrative

SECTORS = pl.DataFrame({"sector": ["ai", "defi"], "relative_strength": [2.0, -1.0]})
COINS = pl.DataFrame({
    "symbol": ["BTCUSD", "FETUSD", "UNIUSD"], "sector": ["layer1", "ai", "defi"],
    "last_return": [0.01, 0.05, -0.02], "volume_change_24h_pct": [10.0, 50.0, -5.0],
    "price_change_24h_pct": [1.0, 5.0, -2.0],
})


def test_without_market_caps_dominance_is_unknown_and_the_wave_goes_to_the_strongest_bucket() -> None:
    result = sector_narrative(SECTORS, COINS, {}, 60)
    assert (result["top_sector"], result["btc_dominance"], result["rotation_state"]) == ("ai", None, "none")
    assert result["capital_wave"] == "sector_leaders"  # FETUSD: 0.05 + 0.5 beats BTC's 0.01 + 0.1
    assert result["bucket_scores"]["large_caps"] == 0.0  # absent buckets score 0, as in the reference


def test_market_caps_drive_dominance_and_rotation_state() -> None:
    caps = {"BTCUSD": 900e9, "FETUSD": 2e9, "UNIUSD": 5e9}
    result = sector_narrative(SECTORS, COINS, caps, 60)
    assert result["btc_dominance"] > 0.45
    assert result["rotation_state"] == "btc_dominance_rising"
    falling = sector_narrative(SECTORS, COINS.with_columns(pl.lit(-1.0).alias("price_change_24h_pct")),
                               {"BTCUSD": 100e9, "FETUSD": 200e9}, 60)
    assert falling["rotation_state"] == "btc_dominance_falling"
