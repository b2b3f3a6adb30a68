"""The sector and market-structure detectors: each fires on a constructed series and stays silent on another.

Scenarios follow the reference's pinned fixtures (spec §6: "funding z > 3; venue spread > 2 %; liquidation
z > 3 with OI drop > 10 %"); hand-computed expectations are spelled out next to each assertion.
"""

from __future__ import annotations

import statistics
from dataclasses import replace

import numpy as np
import pytest

from iris_assets.anomalies import (
    CandleSeries,
    CloseSeries,
    detect_cross_exchange_dislocation,
    detect_funding_open_interest,
    detect_liquidation_cascade,
    detect_synchronous_move,
)
from iris_assets.anomalies.series import to_datetime
from tests.unit.anomalies.anomaly_builders import context, from_closes, from_returns, venue


class TestSynchronousMove:
    def _peer(self, seed: int, jump: float) -> CandleSeries:
        rng = np.random.default_rng(seed)
        return from_returns(50.0, [*rng.normal(0, 0.002, 40), jump])

    def test_peers_moving_together_fire_a_sector_finding(self) -> None:
        trigger = self._peer(0, 0.03)
        sector = {"AKT": self._peer(1, 0.02), "FET": self._peer(2, 0.04), "TAO": self._peer(3, 0.001)}

        finding = detect_synchronous_move(context(trigger, sector_peers=sector))

        assert finding is not None
        assert finding.scope == "sector"
        assert finding.isolated is False
        assert finding.affected_symbols == ("FET", "AKT")  # movers, strongest z first
        assert finding.metrics["simultaneous_zscore_count"] == 2.0
        assert finding.metrics["sector_breadth_spike"] == pytest.approx(2 / 3)
        assert finding.metrics["alignment_ratio"] == 1.0

    def test_fewer_than_two_usable_peers_stay_silent(self) -> None:
        trigger = self._peer(0, 0.03)

        assert detect_synchronous_move(context(trigger, sector_peers={"AKT": self._peer(1, 0.02)})) is None

    def test_a_peer_without_the_trigger_candle_is_not_counted(self) -> None:
        trigger, fet = self._peer(0, 0.03), self._peer(2, 0.04)
        stale = CloseSeries(fet.timestamps[:-1], fet.close[:-1])

        with_fet = detect_synchronous_move(context(trigger, sector_peers={"AKT": self._peer(1, 0.02), "FET": fet}))
        without = detect_synchronous_move(context(trigger, sector_peers={"AKT": self._peer(1, 0.02), "FET": stale}))

        assert with_fet is not None
        assert without is None  # one usable peer left


def _structure_candles(count: int, *, wick: float = 0.012) -> CandleSeries:
    return from_closes([100.0 + i * 0.2 for i in range(count)], wick=wick)


class TestFundingOpenInterest:
    def test_a_funding_and_open_interest_jump_fires(self) -> None:
        candles = from_closes([100.0 + i * 0.2 for i in range(40)] + [103.6])
        times, prices = candles.timestamps[-18:], candles.close[-18:]
        venues = {
            "binance": venue(
                times,
                prices,
                funding=[0.00008] * 17 + [0.00125],
                open_interest=[15000.0 + i * 140 for i in range(17)] + [23800.0],
                basis=[0.0003] * 17 + [0.0048],
            ),
            "bybit": venue(
                times,
                prices * 1.0005,
                funding=[0.00009] * 17 + [0.00110],
                open_interest=[14800.0 + i * 120 for i in range(17)] + [23000.0],
                basis=[0.0004] * 17 + [0.0043],
            ),
        }

        finding = detect_funding_open_interest(context(candles, venues=venues))

        assert finding is not None
        oi = [15000.0 + i * 140 + 14800.0 + i * 120 for i in range(17)]
        assert finding.metrics["open_interest_ratio"] == pytest.approx(46800.0 / statistics.fmean(oi[-12:]))
        assert finding.metrics["funding_zscore"] > 3.0
        assert finding.metrics["open_interest_ratio"] > 1.3
        assert finding.component_scores["derivatives"] > 0.5

    def test_flat_funding_and_open_interest_stay_silent(self) -> None:
        candles = _structure_candles(30)
        times, prices = candles.timestamps[-18:], candles.close[-18:]
        venues = {"binance": venue(times, prices, funding=[0.0001] * 18, open_interest=[20000.0] * 18)}

        assert detect_funding_open_interest(context(candles, venues=venues)) is None


class TestCrossExchangeDislocation:
    def test_venues_pricing_apart_fire_with_the_venue_names(self) -> None:
        candles = from_closes([100.0 + i * 0.15 for i in range(36)], wick=0.01)
        times, base = candles.timestamps[-12:], candles.close[-12:]
        venues = {
            "binance": venue(times, [*base[:-1], base[-1] * 1.022], basis=[0.0005] * 11 + [0.0065]),
            "bybit": venue(times, [*(base[:-1] * 1.0004), base[-1] * 0.989], basis=[0.0004] * 11 + [-0.0045]),
            "okx": venue(times, [*(base[:-1] * 0.9998), base[-1] * 1.004], basis=[0.0003] * 11 + [0.0012]),
        }

        finding = detect_cross_exchange_dislocation(context(candles, venues=venues))

        assert finding is not None
        assert finding.metrics["venue_spread_pct"] == pytest.approx((1.022 - 0.989) / 1.004)
        assert finding.metrics["dislocation_duration"] == 1.0
        assert finding.affected_symbols == ("binance", "bybit", "okx")
        assert finding.isolated is True  # three venues or fewer
        assert finding.metrics["venue_spread_pct"] > 0.02

    def test_venues_that_agree_stay_silent(self) -> None:
        candles = _structure_candles(36)
        times, base = candles.timestamps[-12:], candles.close[-12:]
        venues = {"binance": venue(times, base), "bybit": venue(times, base * 1.0004)}

        assert detect_cross_exchange_dislocation(context(candles, venues=venues)) is None


class TestLiquidationCascade:
    def _candles(self) -> CandleSeries:
        closes = [100.0]
        for i in range(38):
            closes.append(closes[-1] * (1.001 if i % 2 == 0 else 0.9995))
        closes += [closes[-1] * 0.998, closes[-1] * 0.944]
        return from_closes(closes, wick=0.015)

    def test_a_long_flush_fires_with_open_interest_drop_and_confirmation(self) -> None:
        candles = self._candles()
        times, prices = candles.timestamps[-16:], candles.close[-16:]
        venues = {
            "binance": venue(
                times,
                prices,
                open_interest=[22000.0] * 15 + [18200.0],
                longs=[120.0] * 15 + [6200.0],
                shorts=[80.0] * 15 + [220.0],
            ),
            "bybit": venue(
                times,
                prices * 1.0003,
                open_interest=[21000.0] * 15 + [17150.0],
                longs=[100.0] * 15 + [5400.0],
                shorts=[75.0] * 15 + [210.0],
            ),
        }

        finding = detect_liquidation_cascade(context(candles, venues=venues))

        assert finding is not None
        assert finding.metrics["liquidation_total"] == 12030.0
        assert finding.metrics["open_interest_drop_ratio"] == pytest.approx((43000.0 - 35350.0) / 43000.0)
        assert finding.metrics["cascade_alignment"] == pytest.approx(11600.0 / 12030.0)
        assert finding.metrics["liquidation_zscore"] > 3.0
        assert (finding.confirmation_hits, finding.confirmation_target) == (2, 2)
        assert "long flush" in finding.summary

    def test_snapshots_after_the_context_timestamp_are_ignored(self) -> None:
        candles = self._candles()
        times, prices = candles.timestamps[-16:], candles.close[-16:]
        venues = {
            "binance": venue(
                times,
                prices,
                open_interest=[22000.0] * 15 + [18200.0],
                longs=[120.0] * 15 + [6200.0],
                shorts=[80.0] * 15 + [220.0],
            )
        }
        earlier = replace(context(candles, venues=venues), timestamp=to_datetime(candles.timestamps[-2]))

        assert detect_liquidation_cascade(earlier) is None

    def test_no_liquidations_stay_silent(self) -> None:
        candles = self._candles()
        times, prices = candles.timestamps[-16:], candles.close[-16:]

        assert detect_liquidation_cascade(context(candles, venues={"binance": venue(times, prices)})) is None
