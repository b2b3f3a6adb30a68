"""The ``market_radar`` and ``market_flow`` projections, materialized for the read API."""

from datetime import UTC, datetime
from typing import Any

import dagster as dg
import polars as pl

from iris_assets.indicators.radar import flow_payload, newest_timestamp, radar_payload
from iris_resources.cross_market.queries import CrossMarketQueries, RelationQueries
from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries

PROJECTION_LIMIT = 24  # the API's maximum ``limit``; smaller limits are slices of this list


def _projection_metadata(payload: dict[str, Any], source: datetime | None) -> dict[str, dg.MetadataValue]:
    counts: dict[str, dg.MetadataValue] = {f"{key}_count": dg.MetadataValue.int(len(items))
                                           for key, items in payload.items()}
    return {**counts, "source_timestamp": dg.MetadataValue.text(str(source or ""))}


@dg.asset(group_name="indicators", kinds={"postgres"}, deps=["coin_metrics"],
          automation_condition=dg.AutomationCondition.eager())
def market_radar(context: dg.AssetExecutionContext, transaction: TransactionResource) -> dg.MaterializeResult:
    """Hot coins, emerging coins, volatility spikes and recent regime changes (reference 3.14)."""
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coins_info_frame()
        queries = IndicatorQueries(uow.connection)
        metrics = queries.metrics_frame()
        primary = metrics.filter(pl.col("is_primary")).join(coins, on="coin_id") if not metrics.is_empty() else metrics
        changes = queries.recent_regime_changes(PROJECTION_LIMIT * 4)
        payload = radar_payload(primary, changes, coins, PROJECTION_LIMIT) if not primary.is_empty() else {
            "hot_coins": [], "emerging_coins": [], "regime_changes": [], "volatility_spikes": []}
        source = newest_timestamp((metrics, "updated_at"), (changes, "timestamp"))
        uow.indicators.save_projection("market_radar", payload, datetime.now(UTC), source, context.run_id)
        uow.commit()
    return dg.MaterializeResult(metadata=_projection_metadata(payload, source))


@dg.asset(group_name="indicators", kinds={"postgres"}, deps=["coin_metrics"],
          automation_condition=dg.AutomationCondition.eager())
def market_flow(context: dg.AssetExecutionContext, transaction: TransactionResource) -> dg.MaterializeResult:
    """Market leaders, the strongest lead/lag relations, sector metrics and sector rotations, all from
    their tables (reference 3.14, DECISIONS.md 20)."""
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coins_info_frame()
        cross = CrossMarketQueries(uow.connection)
        leaders = cross.recent_leaders(PROJECTION_LIMIT * 10)
        rotations = cross.recent_rotations(PROJECTION_LIMIT * 10)
        payload = flow_payload(leaders, rotations, coins, PROJECTION_LIMIT)
        relation_queries = RelationQueries(uow.connection)
        latest = relation_queries.latest_snapshot_time()
        if latest is not None:
            payload["relations"] = relation_queries.strongest_relations(latest, PROJECTION_LIMIT)
        payload["sectors"] = relation_queries.latest_sector_metrics(PROJECTION_LIMIT)
        source = newest_timestamp((leaders, "timestamp"), (rotations, "timestamp"))
        uow.indicators.save_projection("market_flow", payload, datetime.now(UTC), source, context.run_id)
        uow.commit()
    return dg.MaterializeResult(metadata=_projection_metadata(payload, source))
