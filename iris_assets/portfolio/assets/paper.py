"""``portfolio``: the paper account traded from final signals, with its ledger and projections."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
from pydantic import Field

from iris_assets.indicators.assets.indicators import TIMEFRAMES
from iris_assets.portfolio.rules import LABELS
from iris_assets.portfolio.settings import PortfolioSettings
from iris_assets.portfolio.simulation import Replay, Simulation
from iris_assets.portfolio.stops import StopCandles
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.portfolio.queries import CandleSource, PortfolioQueries, SignalLog, candle_series
from iris_resources.settings import get_settings
from iris_resources.signals.queries import DecisionQueries

PAPER_ACCOUNT = "paper"
_EVENTS = {"OPEN_POSITION": "portfolio_position_opened", "CLOSE_POSITION": "portfolio_position_closed",
           "INCREASE_POSITION": "portfolio_rebalanced", "REDUCE_POSITION": "portfolio_rebalanced"}
TOLERANCE = 1e-6
# Decisions taking effect and candles closing in one window are read and replayed together; the
# result does not depend on the size (``simulation.Replay``), memory does (~130 k candles at 100 coins).
REPLAY_WINDOW = timedelta(days=14)


def _us(moment: datetime) -> int:
    """Epoch microseconds of an aware datetime (exact integer arithmetic)."""
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


class PortfolioConfig(dg.Config):
    """Paper-trading rules (reference section 4 defaults; DECISIONS.md 24–27)."""

    timeframes: list[int] = Field(default=list(TIMEFRAMES), description="Decision timeframes traded.")
    max_position_size: float = Field(default=0.05, gt=0, le=1, description="Max share of capital per position.")
    max_positions: int = Field(default=20, ge=1, description="Max open positions.")
    max_sector_exposure: float = Field(default=0.25, gt=0, le=1, description="Max cost share of one sector.")
    max_exposure: float = Field(default=1.0, gt=0, le=1, description="Max share of capital invested.")
    stop_atr_multiplier: float = Field(default=2.0, gt=0, description="Stop-loss distance in ATRs.")
    take_profit_atr_multiplier: float = Field(default=3.0, gt=0, description="Take-profit distance in ATRs.")

    def settings(self) -> PortfolioSettings:
        """The engine settings: these rules plus capital and fees from the environment."""
        env = get_settings()
        return PortfolioSettings(
            starting_capital=env.portfolio_starting_capital, fee_rate=env.portfolio_fee_rate,
            max_position_size=self.max_position_size, max_positions=self.max_positions,
            max_sector_exposure=self.max_sector_exposure, max_exposure=self.max_exposure,
            stop_atr_multiplier=self.stop_atr_multiplier, take_profit_atr_multiplier=self.take_profit_atr_multiplier)


def _replay(query: PortfolioQueries, log: SignalLog, series: list[CandleSource], timeframes: list[int],
            replay: Replay) -> Simulation:
    """Feed the replay window by window: final signals taking effect and closed candles closing in
    [lo, lo + REPLAY_WINDOW), from the first signal's bar to the last signal or candle close."""
    if log.first is not None and log.last_effective is not None:
        first = log.first.astimezone(UTC)
        newest = datetime.now(UTC)  # closed candles only: nothing opening after now
        candles_end = query.candles_end(series)
        end = max(log.last_effective, candles_end) if candles_end is not None else log.last_effective
        lo = first
        while lo <= end:
            hi = lo + REPLAY_WINDOW
            candles = StopCandles.from_records(query.closed_candle_window(series, first, newest, lo, hi))
            replay.window(_us(lo), _us(hi), query.final_signal_window(timeframes, lo, hi), candles)
            lo = hi
    return replay.finish()


def _checks(state: dict[str, object], positions: pl.DataFrame, equity: pl.DataFrame, replayed: pl.DataFrame,
            settings: PortfolioSettings) -> list[dg.AssetCheckResult]:
    capital, realized = float(state["capital"]), float(state["realized_pnl"])  # type: ignore[arg-type]
    allocated, available = float(state["allocated"]), float(state["available"])  # type: ignore[arg-type]
    gap = abs(allocated + available - (capital + realized))
    open_rows = positions.filter(pl.col("status") == "open") if not positions.is_empty() else positions
    cap = settings.max_position_size * (capital + max(realized, 0.0)) * (1 + TOLERANCE)
    oversized = open_rows.filter(pl.col("cost_basis") > cap + TOLERANCE).height if not open_rows.is_empty() else 0
    negative = positions.filter((pl.col("units") < -TOLERANCE) | (pl.col("cost_basis") < -TOLERANCE)).height \
        if not positions.is_empty() else 0
    same = equity.height == replayed.height and (equity.is_empty() or bool(
        (equity.get_column("equity") - replayed.get_column("equity")).abs().max() <= TOLERANCE))  # type: ignore[operator]
    return [
        dg.AssetCheckResult(check_name="ledger_reconciles", asset_key="portfolio_state",
                            passed=gap <= TOLERANCE and same,
                            metadata={"allocated_plus_available_minus_capital_plus_realized": gap,
                                      "equity_curve_replays_from_ledger": same}),
        dg.AssetCheckResult(check_name="positions_within_caps", asset_key="portfolio_positions",
                            passed=oversized == 0 and len(open_rows) <= settings.max_positions,
                            metadata={"oversized": oversized, "open_positions": len(open_rows)}),
        dg.AssetCheckResult(check_name="no_negative_sizes", asset_key="portfolio_positions", passed=negative == 0,
                            metadata={"negative": negative}),
    ]


@dg.multi_asset(
    specs=[
        dg.AssetSpec("portfolio_actions", group_name="portfolio", kinds={"postgres", "polars"},
                     deps=["final_signals", "candles", "candle_aggregates"],
                     automation_condition=dg.AutomationCondition.eager(),
                     description="The paper account's ledger: every open / increase / reduce / close fill with its "
                                 "reason (signal, rebalance, stop_loss, take_profit), price, fee and realized PnL."),
        dg.AssetSpec("portfolio_positions", group_name="portfolio", kinds={"postgres"}, deps=["portfolio_actions"],
                     automation_condition=dg.AutomationCondition.eager(),
                     description="Positions with entry price, stops, and PnL marked to the latest close."),
        dg.AssetSpec("portfolio_state", group_name="portfolio", kinds={"postgres"}, deps=["portfolio_actions"],
                     automation_condition=dg.AutomationCondition.eager(),
                     description="Capital, allocated, available, realized and unrealized PnL, exposure by sector."),
        dg.AssetSpec("portfolio_equity", group_name="portfolio", kinds={"postgres"}, deps=["portfolio_actions"],
                     automation_condition=dg.AutomationCondition.eager(),
                     description="Equity curve at every fill and UTC day end, with drawdown from the running peak."),
    ],
    check_specs=[
        dg.AssetCheckSpec("ledger_reconciles", asset="portfolio_state", blocking=True,
                          description="allocated + available = capital + realized PnL, and the equity curve "
                                      "replays exactly from the ledger and closes alone."),
        dg.AssetCheckSpec("positions_within_caps", asset="portfolio_positions",
                          description="No open position above the size cap; open positions ≤ max positions."),
        dg.AssetCheckSpec("no_negative_sizes", asset="portfolio_positions",
                          description="No position with negative units or cost."),
    ],
    can_subset=False,
)
def portfolio(context: dg.AssetExecutionContext, config: PortfolioConfig,
              transaction: TransactionResource) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Replays the final-signal log through the paper account (sizing, caps after the trade, ATR stops
    enforced on closed candles including gaps) and replaces the ledger and its projections in one
    transaction. The replay is deterministic, so re-running with the same inputs changes nothing;
    events announce only fills newer than the previous state. The log and the candles are read in
    time windows of ``REPLAY_WINDOW`` (``simulation.Replay``), so memory does not grow with history."""
    settings = config.settings()
    # The windows are separate statements: one snapshot keeps a concurrent commit from mixing views.
    with transaction.begin(isolation_level="REPEATABLE READ") as uow:
        account_id = uow.portfolio.ensure_paper_account(PAPER_ACCOUNT, settings.starting_capital)
        query = PortfolioQueries(uow.connection)
        previous = query.state(account_id)
        log = query.final_signal_log(config.timeframes)
        unknown = log.labels - LABELS
        if unknown:
            raise ValueError(f"unknown final signals {sorted(unknown, key=str)} (or null); "
                             f"expected one of {sorted(LABELS)}")
        coins = MarketDataQueries(uow.connection).coin_frame().filter(pl.col("coin_id").is_in(log.coin_ids))
        series = candle_series(coins, config.timeframes)
        sectors = DecisionQueries(uow.connection).coin_sectors(log.coin_ids).select("coin_id", "sector_id")
        result = _replay(query, log, series, config.timeframes, Replay(sectors, settings))
        state = {**result.state, "updated_at": datetime.now(UTC)}
        uow.portfolio.replace_ledger(account_id, result.actions, result.positions, result.equity, state)
        since = previous.get("as_of") if previous else None
        # psycopg hands back "Etc/UTC"; compare in one zone.
        fresh = result.actions if not isinstance(since, datetime) or result.actions.is_empty() else \
            result.actions.filter(pl.col("executed_at") > since.astimezone(UTC))
        for action, event_type in _EVENTS.items():
            rows = fresh.filter(pl.col("action") == action) if not fresh.is_empty() else fresh
            uow.events.extend(event_type, [
                {"coin_id": r["coin_id"], "timeframe": r["timeframe"], "timestamp": r["decision_timestamp"],
                 "payload": {"account_id": account_id, "sequence": r["sequence"], "action": action,
                             "reason": r["reason"], "units": r["units"], "price": r["price"],
                             "realized_pnl": r["realized_pnl"]}}
                for r in rows.iter_rows(named=True)])
        uow.commit()
    replayed = result.replayed
    assert replayed is not None  # Replay.finish always rebuilds the curve from the ledger
    equity = result.equity
    peak_drawdown = float(equity.get_column("drawdown").min()) if not equity.is_empty() else 0.0  # type: ignore[arg-type]
    by_action = dict(result.actions.group_by("action").len().rows()) if not result.actions.is_empty() else {}
    yield dg.MaterializeResult(asset_key="portfolio_actions", metadata={
        "dagster/row_count": result.actions.height, "decisions": log.rows,
        "by_action": dg.MetadataValue.json({str(k): int(v) for k, v in by_action.items()})})
    yield dg.MaterializeResult(asset_key="portfolio_positions", metadata={
        "dagster/row_count": result.positions.height, "open": int(result.state["open_positions"])})
    yield dg.MaterializeResult(asset_key="portfolio_state", metadata={
        k: float(v) for k, v in result.state.items() if isinstance(v, int | float)})
    yield dg.MaterializeResult(asset_key="portfolio_equity", metadata={
        "dagster/row_count": equity.height, "max_drawdown": peak_drawdown})
    yield from _checks(result.state, result.positions, equity, replayed, settings)
