"""The fast-path history scan: planted anomalies, no look-ahead, determinism, degenerate input, row shape."""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
import pytest

from iris_assets.anomalies import (
    CandleSeries,
    CloseSeries,
    EventKind,
    LifecyclePolicy,
    OpenAnomaly,
    ScanResult,
    detect_fast_path,
    evaluate_fast_path,
    scan_history,
)
from iris_assets.anomalies.constants import ENTRY_THRESHOLDS
from iris_assets.anomalies.findings import DetectionContext
from iris_assets.anomalies.prepared import prepare
from iris_assets.anomalies.series import to_datetime
from tests.unit.anomalies.anomaly_builders import STEP, T0, calm_series, coin, from_closes, quiet_walk

SPIKE_AT = 150


def _spiked(count: int = 240) -> CandleSeries:
    """A calm series with a +6% candle on 8x volume at ``SPIKE_AT``."""
    base = calm_series(count)
    close, high, low, open_, volume = (a.copy() for a in (base.close, base.high, base.low, base.open, base.volume))
    close[SPIKE_AT:] *= 1.06
    high[SPIKE_AT:] *= 1.06
    low[SPIKE_AT + 1 :] *= 1.06
    open_[SPIKE_AT + 1 :] *= 1.06
    high[SPIKE_AT] = close[SPIKE_AT] * 1.002
    volume[SPIKE_AT] *= 8
    return CandleSeries(base.timestamps, open_, high, low, close, volume)


def _created(result: ScanResult) -> list[tuple[object, str]]:
    return [(event.at, event.anomaly_type) for event in result.events if event.kind is EventKind.CREATED]


def test_a_planted_spike_is_detected_at_its_bar_with_the_right_type() -> None:
    result = scan_history(coin(_spiked()))

    spike_time = T0 + STEP * SPIKE_AT
    at_spike = {anomaly_type for at, anomaly_type in _created(result) if at == spike_time}
    assert {"price_spike", "volume_spike"} <= at_spike
    row = next(r for r in result.rows if r.anomaly_type == "price_spike" and r.detected_at == spike_time)
    assert row.window_end == spike_time
    assert row.window_start == spike_time - STEP * 95  # the 96-candle lookback
    assert row.cooldown_until == spike_time + timedelta(minutes=45)
    assert (row.severity, row.last_confirmed_at) == ("critical", spike_time)
    created = next(e for e in result.events if e.kind is EventKind.CREATED and e.anomaly_type == "price_spike")
    assert created.changes["payload_json"]["metrics"]["return_15m"] == pytest.approx(0.06, rel=0.1)
    # The calm candles after it cooled and then resolved it; as in the reference, those transitions
    # stored their own (weak) finding, so the row's final score is that of the resolving bar.
    assert (row.status, row.resolved_at) == ("resolved", spike_time + STEP * 2)
    assert row.score < 0.34


def test_the_calm_series_alone_produces_no_anomalies() -> None:
    result = scan_history(coin(calm_series(240)))

    assert result.rows == ()
    assert result.evaluations == 240


def test_changing_candles_after_a_bar_never_changes_what_was_decided_up_to_it() -> None:
    candles = _spiked()
    cut = SPIKE_AT + 2
    wild = quiet_walk(1, len(candles), volatility=0.05)  # a very different future after the cut
    arrays = [
        np.concatenate((mine[: cut + 1], theirs[cut + 1 :]))
        for mine, theirs in (
            (candles.open, wild.open),
            (candles.high, wild.high),
            (candles.low, wild.low),
            (candles.close, wild.close),
            (candles.volume, wild.volume * 9),
        )
    ]
    altered = CandleSeries(candles.timestamps, *arrays)
    horizon = T0 + STEP * cut

    original_scan, changed_scan = scan_history(coin(candles)), scan_history(coin(altered))
    original = [e for e in original_scan.events if e.at <= horizon]
    changed = [e for e in changed_scan.events if e.at <= horizon]
    truncated = scan_history(coin(candles), end=horizon).events

    assert original
    assert changed_scan.events != original_scan.events  # the future did change something later on
    assert changed == original
    assert list(truncated) == original


def test_the_scan_is_deterministic() -> None:
    first = scan_history(coin(_spiked()))
    second = scan_history(coin(_spiked()))

    assert first == second


def test_only_bars_inside_the_window_are_evaluated_but_earlier_bars_feed_the_lookback() -> None:
    start, end = T0 + STEP * 140, T0 + STEP * 160

    result = scan_history(coin(_spiked()), start=start, end=end)

    assert result.evaluations == 21
    assert all(start <= event.at <= end for event in result.events)
    assert any(at == T0 + STEP * SPIKE_AT for at, _ in _created(result))


def test_a_single_bar_window_matches_the_context_detectors() -> None:
    candles = _spiked()
    at = T0 + STEP * SPIKE_AT
    lookback = candles.until(at, 96)

    findings = {
        f.anomaly_type: f for f in detect_fast_path(DetectionContext("RNDR", 15, at, lookback, "bull_trend", "ai"))
    }
    result = scan_history(coin(candles), start=at, end=at)

    assert result.rows
    for row in result.rows:
        assert row.payload["metrics"] == findings[row.anomaly_type].metrics
        assert row.payload["components"] == findings[row.anomaly_type].component_scores


def test_every_bar_of_a_history_matches_its_own_lookback_context() -> None:
    rng = np.random.default_rng(21)
    returns = rng.normal(0, 0.004, 300) * np.where(rng.uniform(size=300) < 0.05, 6.0, 1.0)
    closes = 100 * np.exp(np.cumsum(returns))
    volumes = rng.lognormal(3, 0.6, 300)
    volumes[rng.uniform(size=300) < 0.05] = np.nan
    candles = from_closes(list(closes), list(volumes), wick=0.004)
    benchmark = from_closes(list(100 * np.exp(np.cumsum(0.6 * returns + rng.normal(0, 0.003, 300)))))
    start = T0 + STEP * 150

    batches = evaluate_fast_path(
        prepare(candles.take(150 - 95, 300), 15, benchmark=benchmark), np.arange(95, 245, dtype=np.intp)
    )
    for row, position in enumerate(range(150, 300)):
        at = start + STEP * row
        context = DetectionContext("RNDR", 15, at, candles.until(at, 96), benchmark=benchmark.until(at, 96))
        expected = {f.anomaly_type: f for f in detect_fast_path(context)}
        for anomaly_type, batch in batches.items():
            finding = batch.finding(row, context.subject)
            assert (finding is None) == (anomaly_type not in expected), (position, anomaly_type)
            if finding is not None:
                assert finding.metrics == pytest.approx(expected[anomaly_type].metrics, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "candles",
    [
        pytest.param(from_closes([100.0] * 200, [1000.0] * 200, wick=0.0), id="constant prices"),
        pytest.param(from_closes([100.0 + (i % 7) * 0.1 for i in range(200)], [0.0] * 200), id="zero volume"),
        pytest.param(from_closes([100.0, 101.0, 99.0], wick=0.0), id="three candles"),
        pytest.param(from_closes([float(i % 2) for i in range(60)], [float("nan")] * 60), id="zero closes no volume"),
        pytest.param(from_closes([], []), id="no candles"),
    ],
)
def test_degenerate_series_produce_no_errors_and_no_anomalies(candles: CandleSeries) -> None:
    benchmark = from_closes([100.0 + i for i in range(len(candles))]) if len(candles) else None

    with np.errstate(all="raise"):  # no silent divide-by-zero either
        result = scan_history(coin(candles), benchmark=benchmark)

    assert result.rows == ()
    assert result.events == ()


def test_a_benchmark_gap_silences_the_relative_detectors_on_that_bar_only() -> None:
    candles = quiet_walk(3, 120)
    keep = np.ones(120, dtype=bool)
    keep[100] = False
    benchmark = CloseSeries(candles.timestamps[keep], candles.close[keep] * 0.5)

    batches = evaluate_fast_path(prepare(candles, 15, benchmark=benchmark), np.arange(120, dtype=np.intp))

    fired = batches["relative_divergence"].fired
    assert not fired[100]
    assert fired[99] and fired[101]


def test_rows_carry_the_market_anomalies_columns_and_the_reference_payload() -> None:
    result = scan_history(coin(_spiked(), portfolio_relevant=True))
    row = result.rows[0]

    assert set(row.record()) == {
        "symbol",
        "timeframe",
        "anomaly_type",
        "severity",
        "confidence",
        "score",
        "status",
        "detected_at",
        "window_start",
        "window_end",
        "market_regime",
        "sector",
        "summary",
        "payload_json",
        "cooldown_until",
        "last_confirmed_at",
        "resolved_at",
        "updated_at",
    }
    payload = row.payload
    assert set(payload) == {
        "metrics",
        "components",
        "context",
        "explainability",
        "source_pipeline",
        "affected_symbols",
        "source",
    }
    assert payload["context"] == {
        "sector": "ai",
        "market_regime": "bull_trend",
        "relative_to_btc": None,
        "scope": "asset",
        "isolated_move": True,
        "portfolio_relevant": True,
    }
    assert set(payload["explainability"]) == {
        "what_happened",
        "unusualness",
        "relative_to",
        "market_wide",
        "affected_symbols",
    }
    assert (payload["source_pipeline"], payload["source"]) == ("fast_path", "fast_path")
    assert len(row.summary) <= 255
    assert 0.0 <= row.score <= 1.0 and 0.0 <= row.confidence <= 1.0


def test_a_stored_open_anomaly_continues_its_lifecycle_in_the_scan() -> None:
    stored = OpenAnomaly("RNDR", 15, "failed_breakout", "active", T0, T0 + timedelta(minutes=45), T0, anomaly_id=9)

    result = scan_history(coin(calm_series(240)), start=T0 + STEP * 100, open_anomalies=[stored])

    assert [(e.anomaly_id, e.reason) for e in result.events] == [(9, "expired")]
    assert result.open_after == ()


def test_the_per_bar_regime_scales_the_thresholds() -> None:
    candles = _spiked()
    # The spike's volatility_regime_break scores 0.692: above an entry of 0.60, below 0.60 × 1.18.
    policy = LifecyclePolicy(entry={**ENTRY_THRESHOLDS, "volatility_regime_break": 0.60})
    regimes = tuple("high_volatility" if i == SPIKE_AT else "bull_trend" for i in range(len(candles)))

    steady = scan_history(coin(candles), policy=policy)
    nervous = scan_history(coin(candles, regimes=regimes), policy=policy)

    assert "volatility_regime_break" in {row.anomaly_type for row in steady.rows}
    assert "volatility_regime_break" not in {row.anomaly_type for row in nervous.rows}
    assert {row.market_regime for row in nervous.rows} == {"high_volatility"}


@pytest.mark.slow
def test_a_month_of_fifteen_minute_bars_for_twenty_coins_scans_well_within_a_minute() -> None:
    bars = 30 * 96
    benchmark = quiet_walk(999, bars + 96)
    coins = [coin(quiet_walk(seed, bars + 96, volatility=0.004), symbol=f"C{seed}USD") for seed in range(20)]
    start = to_datetime(benchmark.timestamps[96])

    began = time.perf_counter()
    evaluations = sum(scan_history(c, start=start, benchmark=benchmark).evaluations for c in coins)
    elapsed = time.perf_counter() - began

    assert evaluations == 20 * bars
    assert elapsed < 60.0
