"""The fast paths of the engine give exactly what the plain formulations give, bit for bit.

Row statistics skip NaN handling on NaN-free windows, medians come from one sort, kernels run over
slices of the bars, and the sector scan evaluates all of a coin's triggers at once: none of that may
change a single value.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import numpy as np
import pytest

from iris_assets.anomalies import CandleSeries, DetectionContext, Trigger, detect_synchronous_move, scan_sector
from iris_assets.anomalies import runner as runner_module
from iris_assets.anomalies.prepared import prepare
from iris_assets.anomalies.runner import evaluate_fast_path
from iris_assets.anomalies.scans import sector_peers
from iris_assets.anomalies.sector_evaluations import sector_evaluations
from iris_assets.anomalies.series import to_datetime
from iris_assets.anomalies.stats import row_median, row_std, row_zscore
from tests.unit.anomalies.anomaly_builders import STEP, T0, coin, quiet_walk


def _matrices() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    full = rng.normal(size=(40, 48))
    gaps = full.copy()
    gaps[rng.random(gaps.shape) < 0.2] = np.nan
    padded = full.copy()
    padded[:, :17] = np.nan
    padded[3] = np.nan
    return [full, gaps, padded, np.round(full, 1), full[:, 1:]]


def _plain_std(matrix: np.ndarray) -> np.ndarray:
    count = np.sum(~np.isnan(matrix), axis=1)
    mean = np.where(count > 0, np.nansum(matrix, axis=1) / np.maximum(count, 1), 0.0)
    deviations = matrix - mean[:, None]
    variance = np.nansum(deviations * deviations, axis=1) / np.maximum(count, 1)
    return np.where(count >= 2, np.sqrt(variance), 0.0)


@pytest.mark.parametrize("index", range(5))
def test_row_statistics_equal_their_nan_aware_formulas(index: int) -> None:
    matrix = _matrices()[index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(matrix, axis=1)

    assert np.array_equal(row_std(matrix), _plain_std(matrix))
    assert np.array_equal(row_median(matrix), np.where(np.isnan(median), 0.0, median))
    target = np.linspace(-1.0, 1.0, matrix.shape[0])
    std = _plain_std(matrix)
    count = np.sum(~np.isnan(matrix), axis=1)
    mean = np.where(count > 0, np.nansum(matrix, axis=1) / np.maximum(count, 1), 0.0)
    expected = np.where(std > 0, np.abs(target - mean) / np.where(std > 0, std, 1.0), 0.0)
    assert np.array_equal(row_zscore(target, matrix), expected)


def test_kernels_over_slices_equal_one_pass_over_all_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    candles = quiet_walk(3, 900)
    volume = candles.volume.copy()
    volume[::37] = np.nan  # candles without volume take the NaN-aware paths
    candles = CandleSeries(candles.timestamps, candles.open, candles.high, candles.low, candles.close, volume)
    benchmark = quiet_walk(4, 900)
    ends = np.arange(900)

    sliced = evaluate_fast_path(prepare(candles, 15, benchmark=benchmark), ends)
    monkeypatch.setattr(runner_module, "KERNEL_CHUNK", 10_000)
    whole = evaluate_fast_path(prepare(candles, 15, benchmark=benchmark), ends)

    for anomaly_type, batch in whole.items():
        other = sliced[anomaly_type]
        assert np.array_equal(batch.fired, other.fired)
        assert np.array_equal(batch.confidence, other.confidence, equal_nan=True)
        for name, values in {**batch.components, **batch.metrics}.items():
            assert np.array_equal(values, {**other.components, **other.metrics}[name], equal_nan=True), name


def test_the_sector_scan_finds_what_the_one_context_detector_finds_at_each_trigger() -> None:
    count = 160
    coins = [coin(quiet_walk(seed, count, volatility=0.004), f"C{seed}", sort_order=seed) for seed in range(6)]
    moments = [T0 + STEP * bar for bar in range(0, count, 7)] + [T0 + STEP * 40 + timedelta(minutes=5)]

    found = 0
    for trigger_coin in coins:
        evaluations = sector_evaluations(coins, trigger_coin, moments, 72)
        for at, evaluation in zip(moments, evaluations, strict=True):
            assert evaluation is not None
            bar, finding = evaluation
            peers = {p.symbol: p.candles.until(at, 72) for p in sector_peers(coins, trigger_coin)}
            window = trigger_coin.candles.until(at, 72)
            one = detect_synchronous_move(DetectionContext(
                symbol=trigger_coin.symbol, timeframe=15, timestamp=at, candles=window, sector="ai",
                sector_peers={name: series for name, series in peers.items() if len(series) >= 2}))
            assert finding == one
            assert bar.window_start == to_datetime(window.timestamps[0])
            found += finding is not None
    assert found > 0


def test_the_sector_scan_skips_triggers_without_candles() -> None:
    coins = [coin(quiet_walk(seed, 80), f"C{seed}", sort_order=seed) for seed in range(3)]
    triggers = [Trigger("C0", T0 - STEP), Trigger("NOPE", T0 + STEP), Trigger("C1", T0 + STEP * 50)]

    result = scan_sector(coins, triggers)

    assert [reason for _, reason in result.skipped] == ["context_unavailable", "context_unavailable"]
    assert result.evaluations == 1
