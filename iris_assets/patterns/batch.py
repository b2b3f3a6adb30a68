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
from .series_keys import coin_keys

__all__ = ["PatternBatch", "PatternRows", "assessed_detections", "detect_batch", "pattern_rows"]


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


def assessed_detections(bars: pl.DataFrame, detections: pl.DataFrame, timeframe: int,
                        statistics: pl.DataFrame) -> pl.DataFrame:
    """Raw detections gated by dependencies, weighted by regime and success, suppressed rows dropped.

    Row-wise steps: one call may hold several coins (both frames with ``coin_id``)."""
    gated = apply_dependency_gate(detections, bars)
    keys = ["coin_id", "timestamp"] if "coin_id" in gated.columns else ["timestamp"]
    weighted = apply_regime_context(gated, bars.select(*keys, "market_regime"))
    return assess_success(weighted, statistics, timeframe).filter(~pl.col("suppressed"))


def pattern_rows(bars: pl.DataFrame, assessed: pl.DataFrame, timeframe: int, since: datetime
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(signals, cycles) at or after ``since`` of one coin's bars, or of a batch's (with ``coin_id``,
    sorted by coin and time; the results then carry ``coin_id`` too). Bars include the warm-up;
    ``assessed`` are their :func:`assessed_detections`.

    Signals are kept at their onsets (``onsets.signal_onsets``): a type firing again on the next bar
    with the same direction is the same event."""
    keys = coin_keys(bars)
    clusters = cluster_signals(assessed, bars)
    hierarchy = hierarchy_signals(assessed, clusters, bars, timeframe)
    patterns = assessed.select(
        *keys, "timestamp", ("pattern_" + pl.col("slug")).alias("signal_type"), "direction", "confidence",
        pl.col("regime").alias("market_regime"), pl.col("priority").alias("priority_score"),
        pl.col("regime_weight").alias("regime_alignment"))
    meta = [frame.select(*keys, "timestamp", ("pattern_" + pl.col("slug")).alias("signal_type"), "direction",
                         "confidence", pl.col("regime").alias("market_regime"),
                         pl.col("confidence").alias("priority_score"), pl.lit(1.0).alias("regime_alignment"))
            for frame in (clusters, hierarchy) if not frame.is_empty()]
    fired = pl.concat([patterns, *meta], how="vertical_relaxed").unique(
        [*keys, "timestamp", "signal_type"], keep="first")
    # Onsets are judged over the warm-up too, so a run that began before ``since`` stays one row.
    signals = signal_onsets(fired, bars.select(*keys, "timestamp")).filter(pl.col("timestamp") >= since)
    cycles = market_cycle(bars, timeframe, detections=assessed, clusters=clusters).filter(
        pl.col("timestamp") >= since)
    return signals, cycles


def detect_batch(batch: PatternBatch) -> PatternRows:
    """Signals and cycles of every coin in the batch (coins without bars produce nothing).

    Detectors run per coin (NumPy over one series); gates, meta-signals, onsets and cycles run once
    over the whole batch, keyed by coin (one Polars call per step, not one per coin)."""
    if batch.bars.is_empty():
        return PatternRows(batch.coin_ids, batch.timeframe, pl.DataFrame(), pl.DataFrame())
    bars = batch.bars.with_columns(pl.col("coin_id").cast(pl.Int32)).sort("coin_id", "timestamp")
    raw = [detect_all(own.drop("coin_id"), batch.timeframe).with_columns(pl.lit(coin_id, dtype=pl.Int32)
                                                                         .alias("coin_id"))
           for (coin_id,), own in bars.partition_by("coin_id", as_dict=True, maintain_order=True).items()]
    assessed = assessed_detections(bars, pl.concat(raw), batch.timeframe, batch.statistics)
    signals, cycles = pattern_rows(bars, assessed, batch.timeframe, batch.since)
    return PatternRows(
        batch.coin_ids, batch.timeframe,
        signals.select(pl.exclude("coin_id"), "coin_id"),
        cycles.select("coin_id", pl.lit(batch.timeframe, dtype=pl.Int16).alias("timeframe"), "timestamp",
                      "cycle_phase", pl.col("cycle_confidence").alias("confidence")))
