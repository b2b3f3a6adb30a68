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

__all__ = ["PatternBatch", "PatternRows", "assessed_detections", "coin_pattern_rows", "detect_batch"]


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


def coin_pattern_rows(bars: pl.DataFrame, timeframe: int, statistics: pl.DataFrame, since: datetime,
                      assessed: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(signals, cycles) of one coin's bars at or after ``since`` (bars include the warm-up).

    ``assessed``: this coin's :func:`assessed_detections` when the caller computed them for a batch.
    Signals are kept at their onsets (``onsets.signal_onsets``): a type firing again on the next bar
    with the same direction is the same event."""
    if assessed is None:
        assessed = assessed_detections(bars, detect_all(bars, timeframe), timeframe, statistics)
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
    by_coin = {int(coin_id): bars.sort("timestamp") for (coin_id,), bars in batch.bars.group_by("coin_id")}
    # Detectors run per coin (NumPy over one series); the row-wise Polars steps once for the batch.
    raw = [detect_all(bars.drop("coin_id"), batch.timeframe).with_columns(
        pl.lit(coin_id, dtype=batch.bars.schema["coin_id"]).alias("coin_id")) for coin_id, bars in by_coin.items()]
    assessed = assessed_detections(batch.bars, pl.concat(raw), batch.timeframe, batch.statistics) if raw else None
    parts = assessed.partition_by("coin_id", as_dict=True, maintain_order=True) if assessed is not None else {}
    for coin_id, bars in by_coin.items():
        own = parts.get((coin_id,))
        own = own.drop("coin_id") if own is not None else assessed.clear().drop("coin_id")  # type: ignore[union-attr]
        found, phases = coin_pattern_rows(bars.drop("coin_id"), batch.timeframe, batch.statistics, batch.since,
                                          assessed=own)
        signals.append(found.with_columns(pl.lit(coin_id, dtype=pl.Int32).alias("coin_id")))
        cycles.append(phases.with_columns(pl.lit(coin_id, dtype=pl.Int32).alias("coin_id"),
                                          pl.lit(batch.timeframe, dtype=pl.Int16).alias("timeframe")))
    fired = pl.concat(signals) if signals else pl.DataFrame()
    phases_frame = pl.concat(cycles).select("coin_id", "timeframe", "timestamp", "cycle_phase",
                                            pl.col("cycle_confidence").alias("confidence")) \
        if cycles else pl.DataFrame()
    return PatternRows(batch.coin_ids, batch.timeframe, fired, phases_frame)
