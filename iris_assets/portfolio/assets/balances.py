"""``portfolio_balances``: exchange account holdings, synced, with auto-watch of valuable coins."""

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from iris_assets.portfolio.balances import plan_balance_sync
from iris_resources.db.resources import TransactionResource
from iris_resources.portfolio.queries import PortfolioQueries
from iris_resources.settings import get_settings
from iris_resources.sources.balances import ExchangeBalancesResource
from iris_resources.sources.base import SourceError


@dg.asset(group_name="portfolio", kinds={"postgres"})
def portfolio_balances(context: dg.AssetExecutionContext, transaction: TransactionResource,
                       exchange_balances: ExchangeBalancesResource) -> dg.MaterializeResult:
    """Holdings of every enabled exchange account: fetched rows are upserted, assets missing from a
    successful fetch are zeroed, coins worth at least the auto-watch threshold are enabled and coins
    auto-watch enabled are disabled again below it. An account whose fetch fails is left untouched."""
    threshold = get_settings().auto_watch_min_position_value
    now = datetime.now(UTC)
    synced, failed, enabled, disabled, rows = 0, [], 0, 0, 0
    with transaction.begin() as uow:
        accounts = PortfolioQueries(uow.connection).exchange_accounts()
    for account in accounts:
        label = f"{account['exchange_name']}/{account['account_name']}"
        try:
            fetched = exchange_balances.fetcher(str(account["exchange_name"]),
                                                str(account["credentials_ref"] or "")).fetch()
        except SourceError as error:
            context.log.warning("balance sync skipped for %s: %s", label, error)
            failed.append(label)
            continue
        with transaction.begin() as uow:
            query = PortfolioQueries(uow.connection)
            account_id = int(account["id"])  # type: ignore[call-overload]
            symbols = [str(r.get("symbol", "")).strip().upper() for r in fetched]
            plan = plan_balance_sync(query.balances(account_id), fetched, query.watch_state(symbols), threshold)
            rows += uow.portfolio.apply_balance_sync(account_id, plan.upserts.to_dicts(), now)
            up, down = uow.portfolio.set_auto_watch(plan.enable_watch, plan.disable_watch)
            enabled, disabled = enabled + up, disabled + down
            changed = plan.upserts.filter(pl.col("changed"))
            uow.events.extend("portfolio_balance_updated", [
                {"payload": {"account_id": account_id, "symbol": r["symbol"], "balance": r["balance"],
                             "value_usd": r["value_usd"], "previous_value": r["previous_value"]}}
                for r in changed.iter_rows(named=True)])
            uow.events.extend("coin_auto_watch_enabled", [{"payload": {"symbol": s}} for s in plan.enable_watch])
            uow.events.extend("coin_auto_watch_disabled", [{"payload": {"symbol": s}} for s in plan.disable_watch])
            uow.commit()
            synced += 1
    return dg.MaterializeResult(metadata={"accounts": len(accounts), "synced": synced,
                                          "failed": dg.MetadataValue.json(failed), "dagster/row_count": rows,
                                          "auto_watch_enabled": enabled, "auto_watch_disabled": disabled})
