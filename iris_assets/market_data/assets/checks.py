"""Data-quality checks of the market data assets, evaluated over a run's window."""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from iris_resources.market_data.queries import MarketDataQueries


def candle_check_results(queries: MarketDataQueries, start: datetime, end: datetime) -> list[dg.AssetCheckResult]:
    """OHLC integrity, duplicates and gaps of the stored candles in ``[start, end)``."""
    violations = queries.ohlc_violations(start, end)
    duplicates = queries.duplicate_keys(start, end)
    gaps = queries.gaps(start, end)
    missing = sum(g.missing_bars for g in gaps)
    preview = [
        {"symbol": g.symbol, "start": str(g.gap_start), "end": str(g.gap_end), "missing": g.missing_bars}
        for g in gaps[:20]
    ]
    return [
        dg.AssetCheckResult(check_name="ohlc_integrity", asset_key="candles", passed=violations == 0,
                            metadata={"violations": violations}),
        dg.AssetCheckResult(check_name="no_duplicates", asset_key="candles", passed=duplicates == 0,
                            metadata={"duplicate_keys": duplicates}),
        dg.AssetCheckResult(
            check_name="gaps", asset_key="candles", passed=not gaps,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"gaps": len(gaps), "missing_bars": missing, "first_gaps": dg.MetadataValue.json(preview)},
        ),
    ]
