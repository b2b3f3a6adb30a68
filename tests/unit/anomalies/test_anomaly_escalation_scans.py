"""Escalation: triggers from fast-path results, the sector scan and the market-structure scan."""

from __future__ import annotations

import numpy as np

from iris_assets.anomalies import (
    CandleSeries,
    CoinHistory,
    EventKind,
    Trigger,
    VenueSeries,
    escalation_triggers,
    scan_history,
    scan_market_structure,
    scan_sector,
)
from iris_assets.anomalies.scans import sector_peers
from tests.unit.anomalies.anomaly_builders import STEP, T0, calm_series, coin, venue

MOVE_AT = 60


def _mover(seed: int, jump: float, count: int = 80) -> CandleSeries:
    """A small seeded walk that jumps by ``jump`` at ``MOVE_AT``."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0, 0.002, count)
    returns[0] = 0.0
    returns[MOVE_AT] = jump
    close = 50.0 * np.cumprod(1.0 + returns)
    open_ = np.concatenate((close[:1], close[:-1]))
    base = calm_series(count)
    return CandleSeries(
        base.timestamps, open_, np.maximum(open_, close) * 1.001, np.minimum(open_, close) * 0.999, close, base.volume
    )


def _sector(trigger_jump: float = 0.005) -> list[CoinHistory]:
    return [
        coin(_mover(0, trigger_jump), "RNDR"),
        coin(_mover(1, 0.030), "FET", sort_order=2),
        coin(_mover(2, 0.045), "AKT", sort_order=1),
        coin(_mover(3, 0.025), "TAO", sort_order=3),
        coin(_mover(4, 0.040), "BTCUSD", sector="core"),
    ]


def test_high_and_critical_fast_path_creations_become_triggers() -> None:
    candles = _mover(0, 0.08)

    triggers = escalation_triggers(scan_history(coin(candles)))

    assert Trigger("RNDR", T0 + STEP * MOVE_AT) in triggers
    assert all(t.trigger_anomaly_id is None for t in triggers)


def test_sector_peers_share_the_sector_and_are_ordered_by_sort_order_then_symbol() -> None:
    coins = _sector() + [coin(calm_series(80), f"P{i}", sort_order=9) for i in range(10)]

    peers = sector_peers(coins, coins[0])

    assert [p.symbol for p in peers] == ["AKT", "FET", "TAO", "P0", "P1", "P2", "P3", "P4"]


def test_a_sector_moving_together_creates_a_synchronous_move_on_the_trigger_coin() -> None:
    at = T0 + STEP * MOVE_AT

    result = scan_sector(_sector(), [Trigger("RNDR", at, trigger_anomaly_id=17)])

    (row,) = result.rows
    assert (row.symbol, row.anomaly_type, row.detected_at) == ("RNDR", "cross_asset_synchronous_move", at)
    assert row.payload["source_pipeline"] == "sector_scan"
    assert row.payload["trigger_anomaly_id"] == 17
    assert row.payload["context"]["scope"] == "sector"
    assert row.payload["affected_symbols"][0] == "AKT"  # the largest z-score first
    assert "BTCUSD" not in row.payload["affected_symbols"]  # another sector
    assert row.window_start == at - STEP * 60  # only 61 candles exist before the trigger (lookback 72)


def test_a_trigger_coin_that_itself_moved_over_one_percent_caps_the_sector_score_below_entry() -> None:
    """Reference arithmetic, kept: price (≤ .4, weight .32) drags the average of synchronicity (.12)."""
    at = T0 + STEP * MOVE_AT

    result = scan_sector(_sector(trigger_jump=0.035), [Trigger("RNDR", at)])

    assert result.rows == ()
    assert (0.12 * 1.0 + 0.32 * 0.4) / (0.12 + 0.32) < 0.60  # even a perfect sector move cannot enter


def test_a_sector_scan_only_sees_candles_up_to_the_trigger() -> None:
    before = T0 + STEP * (MOVE_AT - 1)

    result = scan_sector(_sector(), [Trigger("RNDR", before)])

    assert result.rows == ()


def test_an_unknown_trigger_coin_is_skipped_as_context_unavailable() -> None:
    result = scan_sector(_sector(), [Trigger("NOPE", T0)])

    assert result.skipped == ((T0, "context_unavailable"),)
    assert result.evaluations == 0


def _venues(candles: CandleSeries) -> dict[str, VenueSeries]:
    times, prices = candles.timestamps[-18:], candles.close[-18:]
    return {
        "binance": venue(
            times,
            prices,
            open_interest=[22000.0] * 17 + [18200.0],
            longs=[120.0] * 17 + [6200.0],
            shorts=[80.0] * 17 + [220.0],
        ),
        "bybit": venue(
            times,
            prices * 1.0003,
            open_interest=[21000.0] * 17 + [17150.0],
            longs=[100.0] * 17 + [5400.0],
            shorts=[75.0] * 17 + [210.0],
        ),
    }


def test_a_liquidation_cascade_is_found_by_the_market_structure_scan() -> None:
    candles = _mover(5, -0.06, count=MOVE_AT + 1)
    at = T0 + STEP * MOVE_AT

    result = scan_market_structure(coin(candles), _venues(candles), [Trigger("RNDR", at, trigger_anomaly_id=3)])

    created = [e for e in result.events if e.kind is EventKind.CREATED]
    assert [e.anomaly_type for e in created] == ["liquidation_cascade"]
    assert created[0].changes["payload_json"]["source_pipeline"] == "market_structure_scan"
    assert created[0].changes["payload_json"]["trigger_anomaly_id"] == 3


def test_without_snapshots_up_to_the_trigger_the_market_structure_scan_is_skipped() -> None:
    candles = _mover(5, -0.06, count=MOVE_AT + 1)
    early = T0 + STEP * 10  # before the first snapshot

    result = scan_market_structure(coin(candles), _venues(candles), [Trigger("RNDR", early)])

    assert result.skipped == ((early, "market_structure_unavailable"),)
    assert result.rows == ()


def test_snapshots_after_the_trigger_are_never_read() -> None:
    candles = _mover(5, -0.06, count=MOVE_AT + 1)
    just_before = T0 + STEP * (MOVE_AT - 1)

    result = scan_market_structure(coin(candles), _venues(candles), [Trigger("RNDR", just_before)])

    assert result.rows == ()
    assert result.evaluations == 1
