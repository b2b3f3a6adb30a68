"""``signal_backtests`` and ``strategies``: research products over the signal history."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
from pydantic import Field

from iris_assets.executor import history_scan
from iris_assets.indicators.assets.indicators import TIMEFRAMES
from iris_assets.signals import backtest_stream as stream
from iris_assets.signals import strategies as engine
from iris_assets.signals.backtests import finish_summaries
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.signals.checks import DecisionChecks
from iris_resources.signals.queries import DecisionQueries
from iris_resources.signals.research_queries import ResearchQueries

# Strategy discovery reads ten days of one timeframe's stacks and candles at a time (~0.3 M signals at 100 coins).
STRATEGY_SLICE_DAYS = 10
# Backtests read half a month of evaluated outcomes at a time (~0.6 M rows at 100 coins).
BACKTEST_SLICE_DAYS = 15


class BacktestConfig(dg.Config):
    """Which lookbacks to summarise (the API serves exactly these)."""

    lookback_days: list[int] = Field(default=[30, 90, 365], description="Lookback windows in days (30–3650).")


def _newest_close(market: MarketDataQueries) -> datetime:
    """"Now" for research products: the newest stored candle's close, so a backfill ages like live data."""
    newest = market.latest_candle_timestamp(15)
    return newest + timedelta(minutes=15) if newest is not None else datetime.now(UTC)


def _backtest_frames(research: ResearchQueries, now: datetime, lookbacks: list[int]) -> list[pl.DataFrame]:
    """Summaries per lookback (ascending), from evaluated outcomes read one candle-time slice at a time,
    oldest first, and folded into per-group states: memory follows the slice, not the history."""
    starts = {days: now - timedelta(days=days) for days in lookbacks}
    cuts = set(starts.values())
    cut = min(cuts)
    while cut < now:
        cuts.add(cut)
        cut += timedelta(days=BACKTEST_SLICE_DAYS)
    bounds = sorted(c for c in cuts if c < now)
    coins, timeframes = research.outcome_series()
    keys: dict[str, pl.DataType] = {"signal_type": pl.String(), "timeframe": pl.Int16(), "coin_id": pl.Int32()}
    pooled = {days: stream.empty_state(stream.POOLED_KEYS, keys) for days in lookbacks}
    per_coin = {days: stream.empty_state(stream.COIN_KEYS, keys) for days in lookbacks}
    for index, start in enumerate(bounds if coins else []):
        end = bounds[index + 1] if index + 1 < len(bounds) else None  # the newest slice is open-ended
        rows = research.evaluated_outcomes(coins, timeframes, start, end)
        if rows.is_empty():
            continue
        by_time, by_coin = stream.order_rows(rows, pooled=True), stream.order_rows(rows, pooled=False)
        for days in (d for d in lookbacks if starts[d] <= start):
            pooled[days] = stream.fold_slice(pooled[days], by_time, stream.POOLED_KEYS)
            per_coin[days] = stream.fold_slice(per_coin[days], by_coin, stream.COIN_KEYS)
    return [finish_summaries(stream.summaries_from_states(pooled[d], per_coin[d]), d)
            .with_columns(pl.lit(now).alias("as_of")) for d in lookbacks]


@dg.asset(group_name="signals", kinds={"postgres", "polars"}, deps=["signal_outcomes"],
          automation_condition=dg.AutomationCondition.eager(),
          op_tags=history_scan(priority=2),
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
        frames = _backtest_frames(ResearchQueries(uow.connection), now, lookbacks)
        longest = frames[-1]
        summaries = pl.concat(frames, how="vertical_relaxed") if not longest.is_empty() else pl.DataFrame()
        # The outcomes summarised: the longest lookback's all-coin samples (each outcome counts once there).
        outcomes = int(longest.filter(pl.col("coin_id").is_null()).get_column("sample_size").sum())
        uow.decisions.replace_backtests(lookbacks, summaries)
        uow.commit()
    with transaction.begin() as uow:
        checks = DecisionChecks(uow.connection)
        mismatches = checks.backtest_sample_mismatches_by_lookback({d: now - timedelta(days=d) for d in lookbacks})
    return dg.MaterializeResult(
        metadata={"dagster/row_count": summaries.height, "outcomes": outcomes, "as_of": now.isoformat(),
                  "lookback_days": dg.MetadataValue.json(list(lookbacks))},
        check_results=[dg.AssetCheckResult(check_name="sample_sizes_match_history",
                                           passed=not any(mismatches.values()),
                                           metadata={"mismatched_rows": dg.MetadataValue.json(
                                               {str(k): v for k, v in mismatches.items()})})])


def _slice_candles(market: MarketDataQueries, coins: pl.DataFrame, timeframe: int, start: datetime, end: datetime,
                   now: datetime) -> pl.DataFrame:
    """Closed candles from ``start`` on, through at least the horizon (in bars) after ``end`` of every coin
    with a candle before ``end``, or up to ``now``: what the outcomes of stacks in ``[start, end)`` need."""
    bars = engine.horizon_bars(timeframe)
    reach = timedelta(minutes=2 * bars * timeframe) + timedelta(days=1)
    stop = min(end + reach, now)
    frames = [market.closed_candles(coins, timeframe, start, stop)]
    while stop < now:
        # A gap in a coin's candles can push its horizon bar further: read on for those coins only.
        got = pl.concat(frames)
        after = got.filter(pl.col("timestamp") >= end).group_by("coin_id").len()
        short = got.filter(pl.col("timestamp") < end).select("coin_id").unique().join(
            after, on="coin_id", how="left").filter(pl.col("len").fill_null(0) < bars).get_column("coin_id")
        if short.is_empty():
            break
        reach *= 4
        following = min(end + reach, now)
        frames.append(market.closed_candles(coins.filter(pl.col("coin_id").is_in(short.implode())), timeframe,
                                            stop, following))
        stop = following
    return pl.concat(frames).select("coin_id", pl.lit(timeframe, dtype=pl.Int16).alias("timeframe"), "timestamp",
                                    "high", "low", "close")


def _strategy_partials(market: MarketDataQueries, research: ResearchQueries, coins: pl.DataFrame,
                       sectors: pl.DataFrame, timeframe: int, since: datetime, now: datetime) -> pl.DataFrame:
    """Discovery's candidate partials of one timeframe, computed slice by slice of candle time and merged.

    Slices' partials wait until they hold as many rows as the merged frame before they merge into it:
    re-merging the growing frame on every slice made the merges quadratic in the slice count, and the
    waiting rows never exceed the merged ones, so memory still follows the candidates, not the history."""
    ids = coins.get_column("coin_id").to_list()
    merged = pl.DataFrame(schema=engine.PARTIAL_SCHEMA)
    pending: list[pl.DataFrame] = []
    start = since
    while start < now:
        end = min(start + timedelta(days=STRATEGY_SLICE_DAYS), now)
        stacks = research.strategy_stacks(ids, timeframe, start, end)
        if not stacks.is_empty():
            stacks = stacks.join(sectors, on="coin_id", how="left")
            candles = _slice_candles(market, coins, timeframe, start, end, now)
            pending.append(engine.candidate_partials(stacks, candles, known_before=now, now=now))
            if sum(p.height for p in pending) >= merged.height:
                merged = engine.merge_partials(pl.concat([merged, *pending]))
                pending = []
        start = end
    return engine.merge_partials(pl.concat([merged, *pending])) if pending else merged


@dg.asset(group_name="signals", kinds={"postgres", "polars"}, deps=["pattern_signals", "market_cycles", "candles"],
          automation_condition=dg.AutomationCondition.eager(),
          op_tags=history_scan(priority=3),  # the longest scan
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
        since = now - timedelta(days=engine.STRATEGY_LOOKBACK_DAYS)
        research = ResearchQueries(uow.connection)
        sectors = DecisionQueries(uow.connection).coin_sectors(coins.get_column("coin_id").to_list()).select(
            "coin_id", "sector")
        # One timeframe and time slice at a time, merged as candidate partials: memory follows the slice.
        partials = [_strategy_partials(market, research, coins, sectors, tf, since, now) for tf in TIMEFRAMES]
        discovery = engine.rank_strategies(pl.concat(partials))
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
