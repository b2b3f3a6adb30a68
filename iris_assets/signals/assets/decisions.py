"""``investment_decisions`` and ``final_signals``: the pattern stack of every bar turned into a decision,
then adjusted for liquidity, slippage and volatility risk."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.executor import CRITICAL_PATH
from iris_assets.partitions import coin_chunks, market_backfill_policy, market_daily_partition, run_window
from iris_assets.signals.bands import keep_changes
from iris_assets.signals.decisions import investment_decisions as decide
from iris_assets.signals.inputs import (
    sector_context,
    stack_keys,
    strategy_context,
    success_queries,
    with_bar_regime,
)
from iris_assets.signals.risk import final_signals as risk_adjust
from iris_assets.signals.risk import risk_metrics
from iris_assets.signals.success import ROLLING_WINDOW, RollingScopes
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.signals.checks import DecisionChecks
from iris_resources.signals.queries import DecisionQueries
from iris_resources.signals.tables import final_signals as final_signals_table
from iris_resources.signals.tables import investment_decisions as investment_decisions_table

LOG_TABLES = {"investment_decisions": investment_decisions_table, "final_signals": final_signals_table}

# Success rates look back one year (reference 2.10); the as-of join keeps only outcomes known by the bar.
SUCCESS_LOOKBACK = timedelta(days=365)
DECISION_CHECKS = [
    dg.AssetCheckSpec("decisions_reference_signals", asset="investment_decisions", blocking=True,
                      description="Every decision row sits on a bar that has pattern signals."),
    dg.AssetCheckSpec("final_signals_downgrade_only", asset="final_signals", blocking=True,
                      description="A final signal never upgrades its investment decision or flips its side."),
]


@dataclass(frozen=True)
class SharedInputs:
    """What every coin chunk of a run reads alike: success-rate windows, sector and strategy snapshots."""

    success: RollingScopes
    sectors: pl.DataFrame
    performance: pl.DataFrame
    rules: pl.DataFrame

    @classmethod
    def load(cls, query: DecisionQueries, start: datetime, end: datetime) -> "SharedInputs":
        """Read them once for the run window. Every stack lies in ``[start, end)``, so of the outcomes known
        before ``start`` only each scope's last ``ROLLING_WINDOW`` can matter: SQL cuts the rest (a year of
        outcomes would otherwise be read on every run), and the windows are built once for all chunks."""
        performance, rules = query.strategy_snapshots(start, end)
        outcomes = query.known_pattern_outcomes(start - SUCCESS_LOOKBACK, end, tail_before=start,
                                                tail=ROLLING_WINDOW)
        return cls(RollingScopes.build(outcomes), query.sector_snapshots(start, end), performance, rules)


def evaluate_stacks(query: DecisionQueries, coin_ids: list[int], start: datetime, end: datetime,
                    shared: SharedInputs | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(decisions, final signals) evaluated at every bar of ``[start, end)`` with a pattern stack."""
    stacks = query.pattern_stacks(coin_ids, start, end)
    if stacks.is_empty():
        return pl.DataFrame(), pl.DataFrame()
    shared = shared or SharedInputs.load(query, start, end)
    bars = query.bar_context(coin_ids, start, end)
    stacks = with_bar_regime(stacks, bars)
    stacks = shared.success.lookup(success_queries(stacks))
    keys = with_bar_regime(stack_keys(stacks), bars)
    context = sector_context(keys, query.coin_sectors(coin_ids), shared.sectors)
    performance, rules = shared.performance, shared.rules
    strategies = strategy_context(stacks, context, performance, rules)
    context = context.join(strategies, on=["coin_id", "timeframe", "timestamp"], how="left").with_columns(
        pl.lit(None, pl.String).alias("capital_wave"), pl.lit(None, pl.Float64).alias("market_cap"))
    decisions = decide(stacks, context).join(keys.select("coin_id", "timeframe", "timestamp", "regime"),
                                             on=["coin_id", "timeframe", "timestamp"], how="left")
    # The reference's volume_24h is quote (USD) volume; IRIS stores base units per bar.
    risk = risk_metrics(bars.join(keys.select("coin_id", "timeframe", "timestamp"),
                                  on=["coin_id", "timeframe", "timestamp"]).with_columns(
        (pl.col("volume_24h") * pl.col("price")).alias("volume_24h"), pl.lit(None, pl.Float64).alias("market_cap")))
    finals = risk_adjust(decisions, risk).join(
        risk.select("coin_id", "timeframe", "timestamp", "price", "atr"), on=["coin_id", "timeframe", "timestamp"],
        how="left").join(keys.select("coin_id", "timeframe", "timestamp", "regime"),
                         on=["coin_id", "timeframe", "timestamp"], how="left")
    return decisions, finals


def announce_decisions(frame: pl.DataFrame, since: datetime, source: str,
                       fields: tuple[str, ...]) -> list[dict[str, object]]:
    """``decision_generated`` events for the stored rows at or after ``since`` (the run's newest day):
    decision, rounded confidence, the log's own ``fields`` and the ``source`` log."""
    recent = frame.filter(pl.col("timestamp") >= since) if not frame.is_empty() else frame
    return [{"coin_id": r["coin_id"], "timeframe": r["timeframe"], "timestamp": r["timestamp"],
             "payload": {"decision": r["decision"], "confidence": round(r["confidence"], 6),
                         **{name: r[name] for name in fields}, "source": source}}
            for r in recent.iter_rows(named=True)]


@dg.multi_asset(
    specs=[
        dg.AssetSpec("investment_decisions", group_name="signals", kinds={"postgres", "polars"},
                     deps=["pattern_signals", "market_cycles", "indicators", "signal_outcomes", "sector_metrics",
                           "strategies"],
                     description="Seven-level decisions (STRONG_BUY … STRONG_SELL) from each bar's pattern stack, "
                                 "regime, sector strength, cycle, point-in-time success rates and strategies; a row "
                                 "only when the decision or its confidence band changes."),
        dg.AssetSpec("final_signals", group_name="signals", kinds={"postgres", "polars"},
                     deps=["investment_decisions"],
                     description="Investment decisions downgraded (never upgraded) for liquidity, slippage and "
                                 "volatility risk; a row only when the decision or its confidence band changes."),
    ],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
    check_specs=DECISION_CHECKS,
    op_tags=CRITICAL_PATH,
)
def investment_decisions(context: dg.AssetExecutionContext, config: MarketScope,
                         transaction: TransactionResource) -> Iterator[dg.MaterializeResult]:
    """Decisions and final signals for the days of the run (every bar evaluated, changes stored)."""
    start, end = run_window(context)
    now = datetime.now(UTC)
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coin_frame(config.symbols or None)
        query = DecisionQueries(uow.connection)
        shared = SharedInputs.load(query, start, end)
        kept_parts: dict[str, list[pl.DataFrame]] = {name: [] for name in LOG_TABLES}
        evaluations = dict.fromkeys(LOG_TABLES, 0)
        for chunk in coin_chunks(coins):  # memory follows the chunk, not the universe
            ids = chunk.get_column("coin_id").to_list()
            decisions, finals = evaluate_stacks(query, ids, start, end, shared)
            for name, evaluated in (("investment_decisions", decisions), ("final_signals", finals)):
                kept = keep_changes(evaluated, query.latest_before(LOG_TABLES[name], ids, start)).with_columns(
                    pl.lit(now).alias("created_at")) if not evaluated.is_empty() else evaluated
                uow.decisions.replace_log(name, ids, start, end, kept)
                kept_parts[name].append(kept)
                evaluations[name] += evaluated.height
            if not finals.is_empty():
                latest = finals.sort("timestamp").group_by("coin_id", "timeframe").last().select(
                    "coin_id", "timeframe", "timestamp", "liquidity_score", "slippage_risk", "volatility_risk",
                    pl.lit(now).alias("updated_at"))
                uow.decisions.upsert_risk_metrics(latest)
        stored = {name: pl.concat([p for p in parts if not p.is_empty()], how="vertical_relaxed")
                  if any(not p.is_empty() for p in parts) else pl.DataFrame() for name, parts in kept_parts.items()}
        uow.events.extend("decision_generated", announce_decisions(
            stored["final_signals"], end - timedelta(days=1), "final_signal", ("confidence_band",)))
        uow.commit()
    with transaction.begin() as uow:
        checks = DecisionChecks(uow.connection)
        orphans = checks.decisions_without_signals(start, end)
        upgraded = checks.upgraded_final_signals(start, end)
    for name in ("investment_decisions", "final_signals"):
        kept = stored[name]
        by_decision = dict(kept.group_by("decision").len().rows()) if not kept.is_empty() else {}
        check = (dg.AssetCheckResult(check_name="decisions_reference_signals", asset_key=name, passed=orphans == 0,
                                     metadata={"orphans": orphans})
                 if name == "investment_decisions" else
                 dg.AssetCheckResult(check_name="final_signals_downgrade_only", asset_key=name, passed=upgraded == 0,
                                     metadata={"upgraded": upgraded}))
        yield dg.MaterializeResult(asset_key=name, check_results=[check], metadata={
            "dagster/row_count": kept.height, "evaluations": evaluations[name],
            "by_decision": dg.MetadataValue.json({str(k): int(v) for k, v in by_decision.items()})})
