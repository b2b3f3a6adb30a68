"""``signal_backtests`` and ``strategies``: research products over the signal history."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
from pydantic import Field

from iris_assets.indicators.assets.indicators import TIMEFRAMES
from iris_assets.signals import strategies as engine
from iris_assets.signals.backtests import backtest_summaries
from iris_assets.signals.strategies import discover_strategies
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.signals.checks import DecisionChecks
from iris_resources.signals.queries import DecisionQueries


class BacktestConfig(dg.Config):
    """Which lookbacks to summarise (the API serves exactly these)."""

    lookback_days: list[int] = Field(default=[30, 90, 365], description="Lookback windows in days (30–3650).")


def _newest_close(market: MarketDataQueries) -> datetime:
    """"Now" for research products: the newest stored candle's close, so a backfill ages like live data."""
    newest = market.latest_candle_timestamp(15)
    return newest + timedelta(minutes=15) if newest is not None else datetime.now(UTC)


@dg.asset(group_name="signals", kinds={"postgres", "polars"}, deps=["signal_outcomes"],
          automation_condition=dg.AutomationCondition.eager(),
          check_specs=[dg.AssetCheckSpec("sample_sizes_match_history", asset="signal_backtests", blocking=True,
                                         description="Every all-coin summary's sample size equals the evaluated "
                                                     "history rows it summarises.")])
def signal_backtests(context: dg.AssetExecutionContext, config: BacktestConfig,
                     transaction: TransactionResource) -> dg.MaterializeResult:
    """Backtest summaries per signal type and timeframe, over all coins and per coin, for each configured
    lookback: sample size, win rate, ROI, average return, Sharpe per trade and annualised, worst adverse
    excursion, equity drawdown and average confidence (computed here, not at read time)."""
    bad = [d for d in config.lookback_days if not 30 <= d <= 3650]
    if bad or not config.lookback_days:
        raise dg.Failure(f"lookback_days must be 1+ values within 30–3650, got {config.lookback_days}")
    lookbacks = sorted(set(config.lookback_days))
    with transaction.begin() as uow:
        now = _newest_close(MarketDataQueries(uow.connection))
        outcomes = DecisionQueries(uow.connection).outcomes_for_backtests(now - timedelta(days=max(lookbacks)))
        frames = [backtest_summaries(outcomes, now, days).with_columns(pl.lit(now).alias("as_of"))
                  for days in lookbacks] if not outcomes.is_empty() else []
        summaries = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
        uow.decisions.replace_backtests(lookbacks, summaries)
        uow.commit()
    with transaction.begin() as uow:
        checks = DecisionChecks(uow.connection)
        mismatches = {d: checks.backtest_sample_mismatches(d, now - timedelta(days=d)) for d in lookbacks}
    return dg.MaterializeResult(
        metadata={"dagster/row_count": summaries.height, "outcomes": outcomes.height, "as_of": now.isoformat(),
                  "lookback_days": dg.MetadataValue.json(list(lookbacks))},
        check_results=[dg.AssetCheckResult(check_name="sample_sizes_match_history",
                                           passed=not any(mismatches.values()),
                                           metadata={"mismatched_rows": dg.MetadataValue.json(
                                               {str(k): v for k, v in mismatches.items()})})])


@dg.asset(group_name="signals", kinds={"postgres", "polars"}, deps=["pattern_signals", "market_cycles", "candles"],
          automation_condition=dg.AutomationCondition.eager(),
          check_specs=[dg.AssetCheckSpec("enabled_meet_thresholds", asset="strategies", blocking=True,
                                         description="Every enabled strategy of the snapshot meets the enable "
                                                     "thresholds and has rules.")])
def strategies(context: dg.AssetExecutionContext, transaction: TransactionResource) -> dg.MaterializeResult:
    """Strategy discovery over a year of pattern stacks (per timeframe, regime, sector and cycle): rules,
    performance and enabled flags, stored as a snapshot at the newest candle. Only outcomes known by then
    are used, and decisions read the newest snapshot at or before their bar, so no decision sees the future."""
    with transaction.begin() as uow:
        market = MarketDataQueries(uow.connection)
        now = _newest_close(market)
        coins = market.coin_frame()
        ids = coins.get_column("coin_id").to_list()
        query = DecisionQueries(uow.connection)
        since = now - timedelta(days=engine.STRATEGY_LOOKBACK_DAYS)
        stacks = query.pattern_stacks(ids, since, now)
        found, rules = pl.DataFrame(), pl.DataFrame()
        if not stacks.is_empty():
            bars = query.bar_context(ids, since, now).select("coin_id", "timeframe", "timestamp", "regime",
                                                            pl.col("cycle_phase").alias("cycle"))
            sectors = query.coin_sectors(ids).select("coin_id", "sector")
            stacks = stacks.drop("market_regime").join(bars, on=["coin_id", "timeframe", "timestamp"],
                                                       how="left").join(sectors, on="coin_id", how="left")
            candles = pl.concat([market.closed_candles(coins, tf, since, now).select(
                "coin_id", pl.lit(tf, dtype=pl.Int16).alias("timeframe"), "timestamp", "high", "low", "close")
                for tf in TIMEFRAMES])
            discovery = discover_strategies(stacks, candles, known_before=now, now=now)
            found, rules = discovery.strategies, discovery.rules
        saved = uow.decisions.save_strategy_snapshot(now, found, rules)
        uow.commit()
    enabled = found.filter(pl.col("enabled")) if not found.is_empty() else found
    violations = 0 if enabled.is_empty() else enabled.filter(
        (pl.col("win_rate") < engine.MIN_WIN_RATE) | (pl.col("avg_return") <= engine.MIN_AVG_RETURN)
        | (pl.col("sharpe_ratio") < engine.MIN_SHARPE_RATIO) | (pl.col("max_drawdown") < engine.MIN_MAX_DRAWDOWN)
        | ~pl.col("name").is_in(rules.get_column("name").unique())).height
    return dg.MaterializeResult(
        metadata={"dagster/row_count": saved, "enabled": enabled.height, "as_of": now.isoformat(),
                  "by_timeframe": dg.MetadataValue.json(
                      {str(k): int(v) for k, v in found.group_by("timeframe").len().rows()} if saved else {})},
        check_results=[dg.AssetCheckResult(check_name="enabled_meet_thresholds", passed=violations == 0,
                                           metadata={"violations": violations})])
