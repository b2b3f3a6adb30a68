"""One worker task of ``pattern_signals``: every pattern row of a few coins of one timeframe.

Pure (no I/O): the step reads the bars, a worker process runs the detectors, gates, meta-signals,
onsets and market cycle, and the step writes the result inside its unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from .clusters import cluster_signals, hierarchy_signals
from .context import apply_dependency_gate, apply_regime_context, assess_success
from .cycle import market_cycle
from .engine import detect_all
from .onsets import signal_onsets

__all__ = ["PatternBatch", "PatternRows", "coin_pattern_rows", "detect_batch"]


@dataclass(frozen=True)
class PatternBatch:
    """Bars (candles joined with indicators, warm-up included) of ``coin_ids`` at one timeframe."""

    coin_ids: tuple[int, ...]
    timeframe: int
    since: datetime
    bars: pl.DataFrame
    statistics: pl.DataFrame


@dataclass(frozen=True)
class PatternRows:
    """What a batch produced: signals and cycle phases at or after ``since``, with coin_id."""

    coin_ids: tuple[int, ...]
    timeframe: int
    signals: pl.DataFrame
    cycles: pl.DataFrame


def coin_pattern_rows(bars: pl.DataFrame, timeframe: int, statistics: pl.DataFrame, since: datetime
                      ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(signals, cycles) of one coin's bars at or after ``since`` (bars include the warm-up).

    Signals are kept at their onsets (``onsets.signal_onsets``): a type firing again on the next bar
    with the same direction is the same event."""
    detections = apply_dependency_gate(detect_all(bars, timeframe), bars)
    detections = apply_regime_context(detections, bars.select("timestamp", "market_regime"))
    assessed = assess_success(detections, statistics, timeframe).filter(~pl.col("suppressed"))
    clusters = cluster_signals(assessed, bars)
    hierarchy = hierarchy_signals(assessed, clusters, bars, timeframe)
    patterns = assessed.select(
        "timestamp", ("pattern_" + pl.col("slug")).alias("signal_type"), "direction", "confidence",
        pl.col("regime").alias("market_regime"), pl.col("priority").alias("priority_score"),
        pl.col("regime_weight").alias("regime_alignment"))
    meta = [frame.select("timestamp", ("pattern_" + pl.col("slug")).alias("signal_type"), "direction",
                         "confidence", pl.col("regime").alias("market_regime"),
                         pl.col("confidence").alias("priority_score"), pl.lit(1.0).alias("regime_alignment"))
            for frame in (clusters, hierarchy) if not frame.is_empty()]
    fired = pl.concat([patterns, *meta], how="vertical_relaxed").unique(["timestamp", "signal_type"], keep="first")
    # Onsets are judged over the warm-up too, so a run that began before ``since`` stays one row.
    signals = signal_onsets(fired, bars.get_column("timestamp")).filter(pl.col("timestamp") >= since)
    cycles = market_cycle(bars, timeframe, detections=assessed, clusters=clusters).filter(
        pl.col("timestamp") >= since)
    return signals, cycles


def detect_batch(batch: PatternBatch) -> PatternRows:
    """Signals and cycles of every coin in the batch (coins without bars produce nothing)."""
    signals, cycles = [], []
    for (coin_id,), bars in batch.bars.group_by("coin_id"):
        found, phases = coin_pattern_rows(bars.sort("timestamp").drop("coin_id"), batch.timeframe,
                                          batch.statistics, batch.since)
        signals.append(found.with_columns(pl.lit(coin_id, dtype=pl.Int32).alias("coin_id")))
        cycles.append(phases.with_columns(pl.lit(coin_id, dtype=pl.Int32).alias("coin_id"),
                                          pl.lit(batch.timeframe, dtype=pl.Int16).alias("timeframe")))
    fired = pl.concat(signals) if signals else pl.DataFrame()
    phases_frame = pl.concat(cycles).select("coin_id", "timeframe", "timestamp", "cycle_phase",
                                            pl.col("cycle_confidence").alias("confidence")) \
        if cycles else pl.DataFrame()
    return PatternRows(batch.coin_ids, batch.timeframe, fired, phases_frame)
