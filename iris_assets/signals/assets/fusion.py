"""``market_decisions``: signal fusion (BUY / SELL / HOLD / WATCH) at every bar with signals."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.executor import CRITICAL_PATH
from iris_assets.partitions import market_backfill_policy, market_daily_partition, run_window
from iris_assets.signals.assets.decisions import SUCCESS_LOOKBACK, announce_decisions
from iris_assets.signals.fusion import fuse_market_decisions
from iris_assets.signals.fusion_inputs import bar_regimes, first_lookup, success_lookups, with_success_rates
from iris_assets.signals.inputs import coin_sector_trends
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.signals.checks import DecisionChecks
from iris_resources.signals.fusion_queries import WARM_UP_REACH, FusionQueries
from iris_resources.signals.queries import DecisionQueries
from iris_resources.signals.tables import market_decisions as market_decisions_table

FUSION_CHECKS = [dg.AssetCheckSpec(
    "market_decisions_reference_signals", asset="market_decisions", blocking=True,
    description="Every market decision sits on a bar that has signals.")]


@dg.asset(
    group_name="signals", kinds={"postgres", "polars"},
    deps=["pattern_signals", "indicators", "signal_outcomes", "coin_relations", "sector_metrics"],
    partitions_def=market_daily_partition, backfill_policy=market_backfill_policy, check_specs=FUSION_CHECKS,
    op_tags=CRITICAL_PATH,
)
def market_decisions(context: dg.AssetExecutionContext, config: MarketScope,
                     transaction: TransactionResource) -> dg.MaterializeResult:
    """Fusion of each bar's recent signals (the latest 20 over the 3 newest signal bars) weighted by
    confidence, point-in-time success rate, regime archetype, context, recency and cross-market
    alignment (leaders' decisions before the bar, the sector's trend). A row only when the decision
    or its confidence band changes; leaders and sector trends are read as of the bar (no look-ahead)."""
    start, end = run_window(context)
    now = datetime.now(UTC)
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coin_frame(config.symbols or None)
        ids = coins.get_column("coin_id").to_list()
        query = DecisionQueries(uow.connection)
        signals = FusionQueries(uow.connection).window_signals(ids, start, end, start - WARM_UP_REACH)
        evaluations = 0
        kept = pl.DataFrame()
        if not signals.is_empty():
            regimes = bar_regimes(signals)
            lookups = success_lookups(signals)
            del signals
            outcomes = query.known_pattern_outcomes(start - SUCCESS_LOOKBACK, end,
                                                    tail_before=first_lookup(lookups) or start)
            signals = with_success_rates(lookups, outcomes)
            del lookups, outcomes
            result = fuse_market_decisions(
                signals, regimes, query.relation_snapshots(start, end),
                coin_sector_trends(query.coin_sectors(ids), query.sector_snapshots(start, end)),
                query.latest_before(market_decisions_table, ids, start), start)
            evaluations = result.evaluations
            kept = result.decisions.with_columns(pl.lit(now).alias("created_at"))
        uow.decisions.replace_log("market_decisions", ids, start, end, kept)
        uow.events.extend("decision_generated", announce_decisions(
            kept, end - timedelta(days=1), "signal_fusion", ("signal_count", "regime")))
        uow.commit()
    with transaction.begin() as uow:
        orphans = DecisionChecks(uow.connection).market_decisions_without_signals(start, end)
    by_decision = dict(kept.group_by("decision").len().rows()) if not kept.is_empty() else {}
    return dg.MaterializeResult(
        metadata={"dagster/row_count": kept.height, "evaluations": evaluations,
                  "by_decision": dg.MetadataValue.json({str(k): int(v) for k, v in by_decision.items()})},
        check_results=[dg.AssetCheckResult(check_name="market_decisions_reference_signals", passed=orphans == 0,
                                           metadata={"orphans": orphans})])
