"""The portfolio (reference 5.2–5.4): accounts, state, positions, action ledger, equity curve, balances.

Every route but ``/portfolio/accounts`` reads one account: ``account_id``, or by default the paper account
(DECISIONS.md 28). An unknown ``account_id`` is a 404; no paper account at all is an empty answer.
Responses are operator data: cacheable privately only, for a few seconds (reference 5.4).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from iris_api.deps import EngineDep, RuntimeDep, SettingsDep, read_connection
from iris_api.errors import ApiError, not_found
from iris_api.hot import query_key, versioned_body
from iris_api.pagination import decode_cursor, page
from iris_api.params import NOT_FOUND, NOT_MODIFIED, CursorQuery
from iris_api.routes.coins import utc
from iris_api.schemas.portfolio import (
    AccountsPublic,
    ActionsPublic,
    BalancesPublic,
    EquityCurvePublic,
    PortfolioStatePublic,
    PositionsPublic,
)
from iris_api.settings import ApiSettings
from iris_api.snapshot import Prepared, live_snapshot, prepare_live, render, respond
from iris_resources.portfolio.api_read_models import AccountPage, AccountRow
from iris_resources.portfolio.read_queries import PortfolioReadQueries

router = APIRouter(tags=["portfolio"])
DOMAIN = "portfolio"
PRIVATE_CACHE = "private, max-age=5, stale-while-revalidate=10"
# The state is a projection of the ledger; sector names come from the coins domain.
PORTFOLIO_DOMAINS = ("coins", "portfolio")
AccountQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Default: the paper account.")]
Limit = Annotated[int, Query(ge=1, le=500)]
_RESPONSES: dict[int | str, dict[str, Any]] = {**NOT_FOUND, **NOT_MODIFIED}


class PositionStatus(StrEnum):
    """Which positions."""

    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


def _unknown(account_id: int) -> ApiError:
    return not_found("account", account_id, domain=DOMAIN)


def _found(result: AccountPage[Any] | None, account_id: int | None) -> AccountPage[Any]:
    if result is None:
        raise _unknown(account_id or 0)
    return result


def _send(request: Request, settings: ApiSettings, payload: dict[str, Any],
          timestamps: Iterable[datetime | None]) -> Response:
    return respond(request, render(payload, live_snapshot(timestamps), settings), cache_control=PRIVATE_CACHE)


def _page_payload(account: AccountRow | None, items: Any, limit: int, next_cursor: str | None) -> dict[str, Any]:
    return {"account": account, "data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}


@router.get("/portfolio/state", response_model=PortfolioStatePublic, responses=_RESPONSES)
async def read_portfolio_state(request: Request, runtime: RuntimeDep, account_id: AccountQuery = None) -> Response:
    """Capital, realized and unrealized PnL, allocation, equity, open positions and exposure per sector of
    an account, as projected from its action ledger at ``as_of``."""

    def load() -> Prepared:
        with read_connection(runtime.engine) as connection:
            result = PortfolioReadQueries(connection).state(account_id)
        if result is None:
            raise _unknown(account_id or 0)
        account, state = result.account, result.state
        if state is not None:
            figures: dict[str, Any] = {
                "as_of": state.as_of, "capital": state.capital, "realized_pnl": state.realized_pnl,
                "unrealized_pnl": state.unrealized_pnl, "allocated": state.allocated, "available": state.available,
                "equity": state.equity, "open_positions": state.open_positions,
                "exposure_by_sector": state.exposure_by_sector, "updated_at": state.updated_at}
        else:  # nothing projected yet: the starting capital, untouched
            capital = account.starting_capital if account is not None else 0.0
            figures = {"as_of": None, "capital": capital, "realized_pnl": 0.0, "unrealized_pnl": 0.0,
                       "allocated": 0.0, "available": capital, "equity": capital, "open_positions": 0,
                       "exposure_by_sector": [], "updated_at": None}
        return prepare_live({"account": account, **figures}, [figures["as_of"]])

    body = await versioned_body(runtime, "portfolio_state", PORTFOLIO_DOMAINS, query_key(account_id=account_id), load)
    return respond(request, body, cache_control=PRIVATE_CACHE)


@router.get("/portfolio/positions", response_model=PositionsPublic, responses=_RESPONSES)
def read_portfolio_positions(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    account_id: AccountQuery = None,
    status: Annotated[PositionStatus, Query(description="`open` (default), `closed` or `all`.")] = PositionStatus.OPEN,
    limit: Limit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """An account's positions, newest opened first, each with its coin and sector, marked value, PnL,
    risk to its stop and the newest final signal of its coin and timeframe."""
    after = decode_cursor(cursor, (datetime, int))
    with read_connection(engine) as connection:
        result = _found(PortfolioReadQueries(connection).positions(
            account_id, status=status.value, limit=limit + 1, after=after), account_id)
    items, next_cursor = page(result.rows, limit, lambda p: (p.opened_at, p.position_id))
    payload = {**_page_payload(result.account, items, limit, next_cursor), "status": status.value}
    return _send(request, settings, payload, [t for p in items for t in (p.opened_at, p.closed_at)])


@router.get("/portfolio/actions", response_model=ActionsPublic, responses=_RESPONSES)
def read_portfolio_actions(request: Request, engine: EngineDep, settings: SettingsDep,
                           account_id: AccountQuery = None, limit: Limit = 100, cursor: CursorQuery = None
                           ) -> Response:
    """An account's action ledger (every fill), newest first."""
    after = decode_cursor(cursor, (datetime, int))
    with read_connection(engine) as connection:
        result = _found(PortfolioReadQueries(connection).actions(account_id, limit=limit + 1, after=after),
                        account_id)
    items, next_cursor = page(result.rows, limit, lambda a: (a.executed_at, a.sequence))
    return _send(request, settings, _page_payload(result.account, items, limit, next_cursor),
                 (a.executed_at for a in items))


@router.get("/portfolio/equity", response_model=EquityCurvePublic, responses=_RESPONSES)
def read_portfolio_equity(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    account_id: AccountQuery = None,
    since: Annotated[datetime | None, Query(description="Only points at or after this time (naive = UTC).")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: CursorQuery = None,
) -> Response:
    """An account's equity curve (cash, allocation, PnL, equity, drawdown), oldest point first."""
    after = decode_cursor(cursor, (datetime,))
    with read_connection(engine) as connection:
        result = _found(PortfolioReadQueries(connection).equity(account_id, limit=limit + 1, after=after,
                                                                since=utc(since)), account_id)
    items, next_cursor = page(result.rows, limit, lambda e: (e.timestamp,))
    return _send(request, settings, _page_payload(result.account, items, limit, next_cursor),
                 (e.timestamp for e in items))


@router.get("/portfolio/accounts", response_model=AccountsPublic, responses=NOT_MODIFIED)
def read_portfolio_accounts(request: Request, engine: EngineDep, settings: SettingsDep, limit: Limit = 100,
                            cursor: CursorQuery = None) -> Response:
    """Every portfolio account by id (never its credentials reference)."""
    after = decode_cursor(cursor, (int,))
    with read_connection(engine) as connection:
        rows = PortfolioReadQueries(connection).accounts(limit=limit + 1, after=after)
    items, next_cursor = page(rows, limit, lambda a: (a.id,))
    payload = {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}
    return _send(request, settings, payload, [])


@router.get("/portfolio/balances", response_model=BalancesPublic, responses=_RESPONSES)
def read_portfolio_balances(request: Request, engine: EngineDep, settings: SettingsDep,
                            account_id: AccountQuery = None, limit: Limit = 100, cursor: CursorQuery = None
                            ) -> Response:
    """An account's last synced balances by symbol (exchange accounts; a paper account has none)."""
    after = decode_cursor(cursor, (str,))
    with read_connection(engine) as connection:
        result = _found(PortfolioReadQueries(connection).balances(account_id, limit=limit + 1, after=after),
                        account_id)
    items, next_cursor = page(result.rows, limit, lambda b: (b.symbol,))
    return _send(request, settings, _page_payload(result.account, items, limit, next_cursor),
                 (b.updated_at for b in items))
