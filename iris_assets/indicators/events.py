"""Which indicator results are announced as events (pure Polars → event dicts).

Only each coin's newest bar of a run is announced — in live operation that is the candle that
just closed; a year-long backfill does not flood the stream with history. Timestamps are candle
open times (DECISIONS.md 4).
"""

from __future__ import annotations

from typing import Any

import polars as pl


def _newest(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("coin_id", "timestamp").group_by("coin_id", maintain_order=True).last()


def indicator_events(kept: pl.DataFrame, signals: pl.DataFrame, changes: pl.DataFrame, timeframe: int
                     ) -> dict[str, list[dict[str, Any]]]:
    """``indicator_updated``, ``signal_created`` and ``market_regime_changed`` for the newest bars."""
    if kept.is_empty():
        return {}
    newest = _newest(kept)
    updated = [
        {"coin_id": row["coin_id"], "timeframe": timeframe, "timestamp": row["timestamp"], "payload": {
            "market_regime": row["market_regime"], "regime_confidence": row["regime_confidence"],
            "price_change_24h_pct": row["price_change_24h_pct"], "price_change_7d_pct": row["price_change_7d_pct"],
            "volatility": row["volatility"], "trend": row["trend"], "trend_score": row["trend_score"]}}
        for row in newest.iter_rows(named=True)
    ]
    keys = newest.select("coin_id", "timestamp")
    fresh_signals = signals.join(keys, on=["coin_id", "timestamp"], how="inner") if not signals.is_empty() else signals
    created = [
        {"coin_id": row["coin_id"], "timeframe": timeframe, "timestamp": row["timestamp"],
         "payload": {"signal_type": row["signal_type"], "direction": row["direction"], "confidence": row["confidence"]}}
        for row in fresh_signals.iter_rows(named=True)
    ]
    fresh_changes = changes.join(keys, on=["coin_id", "timestamp"], how="inner") if not changes.is_empty() else changes
    regime = [
        {"coin_id": row["coin_id"], "timeframe": timeframe, "timestamp": row["timestamp"],
         "payload": {"regime": row["regime"], "previous_regime": row["previous_regime"],
                     "confidence": row["confidence"]}}
        for row in fresh_changes.iter_rows(named=True)
    ]
    return {"indicator_updated": updated, "signal_created": created, "market_regime_changed": regime}
