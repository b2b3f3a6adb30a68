"""``portfolio``: the paper account traded from final signals, with its ledger and projections."""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import polars as pl
from pydantic import Field

from iris_assets.indicators.assets.indicators import TIMEFRAMES
from iris_assets.portfolio.ledger import replay_ledger
from iris_assets.portfolio.settings import PortfolioSettings
from iris_assets.portfolio.simulation import simulate
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.portfolio.queries import PortfolioQueries
from iris_resources.settings import get_settings
from iris_resources.signals.queries import DecisionQueries

PAPER_ACCOUNT = "paper"
_EVENTS = {"OPEN_POSITION": "portfolio_position_opened", "CLOSE_POSITION": "portfolio_position_closed",
           "INCREASE_POSITION": "portfolio_rebalanced", "REDUCE_POSITION": "portfolio_rebalanced"}
TOLERANCE = 1e-6


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
    events announce only fills newer than the previous state."""
    settings = config.settings()
    with transaction.begin() as uow:
        account_id = uow.portfolio.ensure_paper_account(PAPER_ACCOUNT, settings.starting_capital)
        query = PortfolioQueries(uow.connection)
        previous = query.state(account_id)
        decisions = query.final_signal_stream(config.timeframes)
        market = MarketDataQueries(uow.connection)
        coins = market.coin_frame()
        traded = decisions.get_column("coin_id").unique().to_list() if not decisions.is_empty() else []
        coins = coins.filter(pl.col("coin_id").is_in(traded))
        frames = []
        if not decisions.is_empty():
            first = decisions.get_column("timestamp").min()
            assert isinstance(first, datetime)
            newest = datetime.now(UTC)
            for timeframe in config.timeframes:
                bars = market.closed_candles(coins, timeframe, first, newest)
                if not bars.is_empty():
                    frames.append(bars.select("coin_id", pl.lit(timeframe, dtype=pl.Int16).alias("timeframe"),
                                              "timestamp", "open", "high", "low", "close"))
        candles = pl.concat(frames) if frames else pl.DataFrame(schema={
            "coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"), "open": pl.Float64,
            "high": pl.Float64, "low": pl.Float64, "close": pl.Float64})
        sectors = DecisionQueries(uow.connection).coin_sectors(traded).select("coin_id", "sector_id")
        result = simulate(decisions, candles, sectors, settings)
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
    prices = candles.select("coin_id", "timeframe", "timestamp", "close")
    replayed = replay_ledger(result.actions, prices, settings.starting_capital)
    equity = result.equity
    peak_drawdown = float(equity.get_column("drawdown").min()) if not equity.is_empty() else 0.0  # type: ignore[arg-type]
    by_action = dict(result.actions.group_by("action").len().rows()) if not result.actions.is_empty() else {}
    yield dg.MaterializeResult(asset_key="portfolio_actions", metadata={
        "dagster/row_count": result.actions.height, "decisions": decisions.height,
        "by_action": dg.MetadataValue.json({str(k): int(v) for k, v in by_action.items()})})
    yield dg.MaterializeResult(asset_key="portfolio_positions", metadata={
        "dagster/row_count": result.positions.height, "open": int(result.state["open_positions"])})
    yield dg.MaterializeResult(asset_key="portfolio_state", metadata={
        k: float(v) for k, v in result.state.items() if isinstance(v, int | float)})
    yield dg.MaterializeResult(asset_key="portfolio_equity", metadata={
        "dagster/row_count": equity.height, "max_drawdown": peak_drawdown})
    yield from _checks(result.state, result.positions, equity, replayed, settings)
