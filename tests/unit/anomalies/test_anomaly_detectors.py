"""The eight fast-path detectors: each fires on a constructed series (metrics checked) and stays silent on another.

Scenarios follow the reference's pinned fixtures (spec §6: "price spike z > 3 and atr_ratio > 2; volume
ratio > 5; …"); hand-computed expectations use plain-Python statistics as an independent oracle.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from iris_assets.anomalies import (
    CandleSeries,
    CloseSeries,
    detect_compression_expansion,
    detect_correlation_breakdown,
    detect_failed_breakout,
    detect_fast_path,
    detect_price_spike,
    detect_price_volume_divergence,
    detect_relative_divergence,
    detect_volatility_regime_break,
    detect_volume_spike,
    score_finding,
)
from iris_assets.anomalies.constants import ENTRY_THRESHOLDS
from tests.unit.anomalies.anomaly_builders import context, from_closes, from_returns, quiet_walk, with_candle


def _returns(closes: list[float]) -> list[float]:
    return [(b - a) / a for a, b in itertools.pairwise(closes)]


def _z(current: float, baseline: list[float]) -> float:
    return abs(current - statistics.fmean(baseline)) / statistics.pstdev(baseline)


class TestPriceSpike:
    def test_a_large_displacement_fires_with_the_reference_metrics(self) -> None:
        closes = [100.0 + i * 0.25 for i in range(40)] + [118.0]
        candles = from_closes(closes, [1000.0] * 40 + [6400.0], wick=0.025)

        finding = detect_price_spike(context(candles))

        assert finding is not None
        returns = _returns(closes)
        assert finding.metrics["return_15m"] == pytest.approx(118.0 / closes[-2] - 1)
        assert finding.metrics["return_zscore"] == pytest.approx(_z(returns[-1], returns[:-1]))
        assert finding.metrics["move_percentile"] == 1.0
        true_ranges = [
            max(c * 1.025 - c * 0.975, abs(c * 1.025 - p), abs(c * 0.975 - p)) for p, c in itertools.pairwise(closes)
        ]
        assert finding.metrics["atr_ratio"] == pytest.approx(true_ranges[-1] / statistics.fmean(true_ranges[-15:-1]))
        range_c = min(max((finding.metrics["range_zscore"] - 1.0) / 3.0, 0.0), 1.0)
        atr_c = min(max((finding.metrics["atr_ratio"] - 1.2) / 2.4, 0.0), 1.0)
        assert finding.component_scores["volatility"] == pytest.approx((range_c + atr_c) / 2)
        assert finding.metrics["return_zscore"] > 3.0
        assert finding.metrics["atr_ratio"] > 2.0
        assert finding.component_scores["price"] > 0.7

    def test_fewer_than_twelve_candles_stay_silent(self) -> None:
        assert detect_price_spike(context(from_closes([100.0 + i for i in range(11)]))) is None

    def test_an_ordinary_candle_scores_below_the_entry_threshold(self) -> None:
        finding = detect_price_spike(context(quiet_walk(5, 60)))

        assert finding is not None
        assert score_finding(finding).score < ENTRY_THRESHOLDS["price_spike"]


class TestVolumeSpike:
    def test_a_volume_surge_fires_with_ratio_to_median_and_percentile(self) -> None:
        volumes = [900.0 + i * 5.0 for i in range(40)] + [9800.0]
        candles = from_closes([50.0 + i * 0.1 for i in range(41)], volumes)

        finding = detect_volume_spike(context(candles))

        assert finding is not None
        baseline = volumes[-49:-1]
        assert finding.metrics["volume_ratio"] == pytest.approx(9800.0 / statistics.median(baseline))
        assert finding.metrics["volume_zscore"] == pytest.approx(_z(9800.0, baseline))
        assert finding.metrics["volume_percentile"] == 1.0
        assert finding.metrics["volume_ratio"] > 5.0
        assert finding.component_scores["volume"] > 0.7

    def test_candles_without_volume_are_skipped_not_counted(self) -> None:
        volumes = [1000.0] * 7 + [float("nan")] * 30 + [1000.0] * 3 + [5000.0]
        candles = from_closes([50.0] * len(volumes), volumes)
        one_more = with_candle(candles, 50.0, 50.0, 50.0, 50.0, 5000.0)

        assert detect_volume_spike(context(candles)) is None  # 11 candles report volume: fewer than 12
        finding = detect_volume_spike(context(one_more))
        assert finding is not None
        assert finding.metrics["volume_ratio"] == 5.0  # the median ignores the silent candles

    def test_steady_volume_scores_below_the_entry_threshold(self) -> None:
        finding = detect_volume_spike(context(from_closes([50.0] * 40, [1000.0 + (i % 5) for i in range(40)])))

        assert finding is not None
        assert score_finding(finding).score < ENTRY_THRESHOLDS["volume_spike"]


class TestVolatilityRegimeBreak:
    def test_a_jump_in_short_window_volatility_fires_with_confirmation(self) -> None:
        closes = [200.0]
        for _ in range(34):
            closes.append(closes[-1] * 1.001)
        base = closes[-1]
        closes += [base * 1.035, base * 0.972, base * 1.028, base * 0.965, base * 1.024]

        finding = detect_volatility_regime_break(context(from_closes(closes, wick=0.03)))

        assert finding is not None
        assert finding.metrics["rolling_volatility_ratio"] > 2.0
        assert finding.confirmation_hits == 3
        assert finding.confirmation_target == 2
        assert finding.component_scores["volatility"] > 0.55

    def test_fewer_than_twenty_candles_stay_silent(self) -> None:
        assert detect_volatility_regime_break(context(from_closes([100.0 + i for i in range(19)]))) is None

    def test_unchanged_volatility_has_too_few_confirmation_hits(self) -> None:
        returns = [0.004 if i % 2 else -0.004 for i in range(45)]
        finding = detect_volatility_regime_break(context(from_returns(100.0, returns)))

        assert finding is not None
        assert finding.metrics["rolling_volatility_ratio"] == pytest.approx(1.0, rel=1e-6)
        assert finding.confirmation_hits == 0
        assert score_finding(finding).score < ENTRY_THRESHOLDS["volatility_regime_break"]


class TestFailedBreakout:
    def _range(self) -> CandleSeries:
        return from_closes([100.0 + i * 0.16 for i in range(30)], [950.0 + i * 8.0 for i in range(30)], wick=0.004)

    def test_an_intrabar_break_rejected_by_the_close_fires(self) -> None:
        candles = self._range()
        last = float(candles.close[-1])
        candles = with_candle(candles, last * 1.001, last * 1.035, last * 0.997, last * 0.998, 3600.0)

        finding = detect_failed_breakout(context(candles))

        assert finding is not None
        reference_high = float(np.max(candles.high[-13:-1]))
        assert finding.metrics["reference_level"] == pytest.approx(reference_high)
        assert finding.metrics["breakout_excursion"] == pytest.approx(last * 1.035 / reference_high - 1)
        assert finding.metrics["rejection_depth"] == pytest.approx(1 - last * 0.998 / reference_high)
        assert finding.metrics["wick_body_ratio"] == pytest.approx((1.035 - 1.001) / (1.001 - 0.998))
        assert finding.metrics["volume_ratio"] == pytest.approx(3600.0 / statistics.fmean(candles.volume[-13:-1]))
        assert finding.metrics["breakout_excursion"] > 0.02
        assert "upside" in finding.summary

    def test_a_breakout_that_holds_above_the_range_stays_silent(self) -> None:
        candles = self._range()
        last = float(candles.close[-1])
        candles = with_candle(candles, last, last * 1.03, last * 0.999, last * 1.028, 3600.0)

        assert detect_failed_breakout(context(candles)) is None


class TestCompressionExpansion:
    def _squeeze(self) -> CandleSeries:
        closes = [200.0]
        for i in range(24):
            closes.append(closes[-1] * (1.0009 if i % 2 == 0 else 0.9992))
        for i in range(8):
            closes.append(closes[-1] * (1.00012 if i % 2 == 0 else 0.99992))
        return from_closes(closes, wick=0.0015)

    def test_a_range_explosion_out_of_a_squeeze_fires(self) -> None:
        candles = self._squeeze()
        last = float(candles.close[-1])
        candles = with_candle(candles, last, last * 1.042, last * 0.998, last * 1.031, 1400.0)

        finding = detect_compression_expansion(context(candles))

        assert finding is not None
        returns = _returns([float(c) for c in candles.close])
        compressed = statistics.pstdev(returns[-9:-1])
        assert finding.metrics["compression_ratio"] == pytest.approx(compressed / statistics.pstdev(returns[-33:-9]))
        assert finding.metrics["realized_jump_ratio"] == pytest.approx(0.031 / compressed)
        assert finding.metrics["compression_ratio"] < 0.5
        assert finding.metrics["range_expansion_ratio"] > 2.0
        assert finding.component_scores["volatility"] > 0.55

    def test_an_expansion_without_prior_compression_stays_silent(self) -> None:
        returns = [0.01 if i % 2 else -0.01 for i in range(40)]
        candles = from_returns(100.0, returns, wick=0.01)
        last = float(candles.close[-1])
        candles = with_candle(candles, last, last * 1.03, last * 0.99, last * 1.02, 1000.0)

        assert detect_compression_expansion(context(candles)) is None


class TestPriceVolumeDivergence:
    def test_a_price_move_on_ordinary_volume_is_price_led(self) -> None:
        closes = [50.0 + i * 0.09 for i in range(40)] + [54.8]
        candles = from_closes(closes, [980.0 + i * 4.0 for i in range(40)] + [1080.0], wick=0.01)

        finding = detect_price_volume_divergence(context(candles))

        assert finding is not None
        move = 54.8 / closes[-2] - 1
        ratio = 1080.0 / statistics.median([980.0 + i * 4.0 for i in range(40)])
        assert finding.metrics["volume_ratio"] == pytest.approx(ratio)
        assert finding.metrics["effort_result_ratio"] == pytest.approx(ratio / max(move * 100, 0.1))
        assert finding.metrics["price_impact_per_volume"] == pytest.approx(move / ratio)
        assert finding.metrics["price_return_zscore"] > 3.0
        assert finding.component_scores["volume"] == pytest.approx(finding.component_scores["price"] * 0.78)
        assert "without participation" in finding.summary

    def test_huge_volume_without_a_move_is_high_effort_low_result(self) -> None:
        volumes = [1000.0 + (i % 3) * 10 for i in range(40)] + [9000.0]
        closes = [50.0 * (1.002 if i % 2 else 0.998) ** (i % 2) for i in range(41)]

        finding = detect_price_volume_divergence(context(from_closes(closes, volumes)))

        assert finding is not None
        assert finding.component_scores["price"] == pytest.approx(finding.component_scores["volume"] * 0.60)
        assert "high effort" in finding.summary

    def test_a_move_confirmed_by_volume_stays_silent(self) -> None:
        closes = [50.0 + i * 0.09 for i in range(40)] + [54.8]
        candles = from_closes(closes, [1000.0] * 40 + [8000.0])

        assert detect_price_volume_divergence(context(candles)) is None


class TestRelativeDivergence:
    def test_a_beta_adjusted_outperformance_fires(self) -> None:
        asset, bench = [100.0], [100.0]
        for _ in range(38):
            asset.append(asset[-1] * 1.002)
            bench.append(bench[-1] * 1.0015)
        asset += [asset[-1] * 1.004, asset[-1] * 1.071]
        bench += [bench[-1] * 1.002, bench[-1] * 1.004]
        peer_candles = {
            "FET": from_closes([90.0 + i * 0.12 for i in range(len(asset))]),
            "TAO": from_closes([80.0 + i * 0.08 for i in range(len(asset))]),
        }

        finding = detect_relative_divergence(
            context(from_closes(asset), benchmark=from_closes(bench), sector_peers=peer_candles)
        )

        assert finding is not None
        assert finding.metrics["benchmark_return"] == pytest.approx(1.004 / 1.002 - 1)
        assert finding.metrics["beta_adjusted_deviation"] > 0.03
        assert finding.explainability.relative_to_btc == "outperform"
        assert finding.explainability.relative_to == "BTCUSD and ai peers"
        assert finding.component_scores["relative"] > 0.5

    def test_without_a_benchmark_it_stays_silent(self) -> None:
        assert detect_relative_divergence(context(from_closes([100.0 + i for i in range(40)]))) is None

    def test_a_benchmark_without_the_current_candle_stays_silent(self) -> None:
        coin = from_closes([100.0 + i for i in range(40)])
        bench = CloseSeries(coin.timestamps[:-1], coin.close[:-1])

        assert detect_relative_divergence(context(coin, benchmark=bench)) is None

    def test_a_missing_benchmark_candle_is_joined_by_time_not_by_position(self) -> None:
        rng = np.random.default_rng(3)
        bench_closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 45)))
        coin = from_closes(list(bench_closes * 2.0))  # the coin is exactly twice the benchmark
        keep = np.ones(45, dtype=bool)
        keep[30] = False  # the benchmark lost one candle mid-window
        bench = CloseSeries(coin.timestamps[keep], bench_closes[keep])

        finding = detect_relative_divergence(context(coin, benchmark=bench))

        # Joined by time, every residual is zero; aligned from the tail, the returns before the gap
        # would be paired with the wrong hour and the residual would not vanish.
        assert finding is not None
        assert finding.metrics["beta_adjusted_deviation"] == pytest.approx(0.0, abs=1e-12)


class TestCorrelationBreakdown:
    baseline = [0.0020, -0.0010, 0.0016, -0.0008] * 8

    def test_a_coin_that_stops_tracking_its_benchmark_fires(self) -> None:
        recent_bench = [0.0011, 0.0009, 0.0012, 0.0010, 0.0008, 0.0013]
        recent_coin = [-0.0042, 0.0036, -0.0045, 0.0034, -0.0048, 0.0039]
        peer_candles = {
            "FET": from_returns(90.0, [*self.baseline, 0.0012, 0.001, 0.0008, 0.0011, 0.001, 0.0012]),
            "TAO": from_returns(80.0, [*self.baseline, 0.001, 0.0011, 0.001, 0.0012, 0.0009, 0.0011]),
        }

        finding = detect_correlation_breakdown(
            context(
                from_returns(100.0, self.baseline + recent_coin),
                benchmark=from_returns(100.0, self.baseline + recent_bench),
                sector_peers=peer_candles,
            )
        )

        assert finding is not None
        assert finding.metrics["long_correlation"] == pytest.approx(1.0)
        assert finding.metrics["peer_dispersion"] == pytest.approx(abs(0.0039 - (0.0012 + 0.0011) / 2))
        assert finding.metrics["correlation_drop"] > 0.6
        assert finding.confirmation_hits >= 2
        assert finding.explainability.relative_to_btc == "decoupling"

    def test_a_coin_that_keeps_tracking_its_benchmark_stays_silent(self) -> None:
        returns = [*self.baseline, 0.0011, 0.0009, 0.0012, 0.0010, 0.0008, 0.0013]
        coin = from_returns(100.0, [r * 1.5 for r in returns])

        assert detect_correlation_breakdown(context(coin, benchmark=from_returns(100.0, returns))) is None


def test_the_fast_path_reports_firing_detectors_in_reference_order() -> None:
    closes = [100.0 + i * 0.25 for i in range(40)] + [118.0]
    candles = from_closes(closes, [1000.0] * 40 + [6400.0], wick=0.025)

    types = [finding.anomaly_type for finding in detect_fast_path(context(candles))]

    assert types[:2] == ["price_spike", "volume_spike"]
    assert "relative_divergence" not in types  # no benchmark in the context


def test_a_context_is_cut_at_its_timestamp_so_later_candles_are_never_read() -> None:
    closes = [100.0 + i * 0.25 for i in range(40)] + [118.0]
    spiked = from_closes(closes, wick=0.025)
    later = with_candle(spiked, 118.0, 118.5, 117.5, 118.0, 1000.0)
    finding = detect_price_spike(replace(context(spiked), candles=later))

    assert finding is not None
    assert finding.metrics["return_15m"] == pytest.approx(118.0 / closes[-2] - 1)
    assert later.timestamps[-1] - spiked.timestamps[-1] == np.timedelta64(timedelta(minutes=15))
