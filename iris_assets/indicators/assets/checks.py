"""Data-quality checks of the ``indicators`` asset over a run's window."""

from collections.abc import Sequence
from datetime import datetime

import dagster as dg
from sqlalchemy import Connection

from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries

WARMUP_NULL_LIMIT = 0.05


def indicator_check_results(connection: Connection, start: datetime, end: datetime,
                            timeframes: Sequence[int]) -> list[dg.AssetCheckResult]:
    """Value ranges, warm-up null ratio and freshness of the ``timeframes``' indicators stored in ``[start, end)``."""
    queries = IndicatorQueries(connection)
    ratios = queries.window_quality(start, end, timeframes)
    violations = {name: int(ratios.get_column(name).sum()) for name in ("rsi_out_of_range", "negative_atr")}
    worst = 0.0
    per_timeframe = {}
    for row in ratios.iter_rows(named=True):
        share = max(row["rsi_null"], row["atr_null"]) / row["rows"] if row["rows"] else 0.0
        per_timeframe[f"{row['timeframe']}m"] = round(share, 4)
        worst = max(worst, share)
    latest = queries.latest_timestamp(15)
    newest_candle = MarketDataQueries(connection).latest_candle_timestamp(15)
    fresh = newest_candle is None or (latest is not None and latest >= newest_candle)
    return [
        dg.AssetCheckResult(check_name="value_ranges", asset_key="indicators",
                            passed=not any(violations.values()), metadata=violations),
        dg.AssetCheckResult(
            check_name="warmup_nulls", asset_key="indicators", passed=worst <= WARMUP_NULL_LIMIT,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"worst_null_share": round(worst, 4), "null_share_by_timeframe": dg.MetadataValue.json(
                per_timeframe)},
        ),
        dg.AssetCheckResult(
            check_name="freshness", asset_key="indicators", passed=fresh, severity=dg.AssetCheckSeverity.WARN,
            metadata={"latest_15m_indicator": str(latest or ""), "latest_15m_candle": str(newest_candle or "")},
        ),
    ]
