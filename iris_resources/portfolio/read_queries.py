"""Query service of the read API for the portfolio: one statement per call, never writes.

Each per-account read resolves the account inside its statement: the requested ``account_id``, or the
default paper account (``kind = 'paper'``, enabled first, lowest id). The account is the driving row,
outer-joined to a LATERAL page of its rows, so the statement answers "no such account" (no row), "an
account with nothing yet" (one row, NULL page) and a page alike. ``credentials_ref`` is never selected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.selectable import FromClause, Subquery

from iris_resources.db.keyset import after_values, before
from iris_resources.db.persistence_log import log_query
from iris_resources.market_data.tables import coins, sectors
from iris_resources.portfolio.api_read_models import (
    AccountPage,
    AccountRow,
    ActionRow,
    BalanceRow,
    EquityPointRow,
    PortfolioStateRead,
    PortfolioStateRow,
    PositionRow,
    SectorExposureRow,
)
from iris_resources.portfolio.tables import (
    portfolio_accounts,
    portfolio_actions,
    portfolio_balances,
    portfolio_equity,
    portfolio_positions,
    portfolio_state,
)
from iris_resources.signals.tables import final_signals

T = TypeVar("T")
OPEN_STATUSES = ("open", "partial")

_accounts = portfolio_accounts
# The default account: the paper account, enabled first, then the oldest.
DEFAULT_ACCOUNT_ID = (
    select(_accounts.c.id).where(_accounts.c.kind == "paper")
    .order_by(_accounts.c.enabled.desc(), _accounts.c.id).limit(1).scalar_subquery()
)
_ACCOUNT_COLUMNS = (
    _accounts.c.id, _accounts.c.kind, _accounts.c.exchange_name, _accounts.c.account_name, _accounts.c.enabled,
    _accounts.c.starting_capital, _accounts.c.created_at,
    func.coalesce(_accounts.c.id == DEFAULT_ACCOUNT_ID, false()).label("is_default"),
)
_N_ACCOUNT = len(_ACCOUNT_COLUMNS)


def _account(explicit: bool) -> Subquery:
    """The requested account, or the default one."""
    statement = select(*_ACCOUNT_COLUMNS)
    statement = statement.where(_accounts.c.id == (bindparam("account_id") if explicit else DEFAULT_ACCOUNT_ID))
    return statement.subquery("account")


def _anchored(explicit: bool, build: Callable[[Subquery], Select], order: Callable[[FromClause], list[Any]]) -> Select:
    """``account LEFT JOIN LATERAL (page of the account) ON true``, in the page's order."""
    account = _account(explicit)
    page = build(account).lateral("page")
    return (select(*account.c, *page.c).select_from(account.outerjoin(page, true()))
            .order_by(*order(page)))


def _account_page(rows: Sequence[Any], make: Callable[..., T]) -> AccountPage[T]:
    account = AccountRow(*rows[0][:_N_ACCOUNT]) if rows else None
    return AccountPage(account, tuple(make(*row[_N_ACCOUNT:]) for row in rows if row[_N_ACCOUNT] is not None))






# State ----------------------------------------------------------------------------------------------

_exposure = func.jsonb_each(portfolio_state.c.exposure_by_sector).table_valued("key", "value").alias("exposure")
_EXPOSURE = (
    select(func.jsonb_agg(aggregate_order_by(
        func.jsonb_build_array(_exposure.c.key, sectors.c.code, sectors.c.name, _exposure.c.value),
        _exposure.c.value.desc(), _exposure.c.key)))
    .select_from(_exposure.outerjoin(sectors, cast(sectors.c.id, Text) == _exposure.c.key))
    .scalar_subquery()
)
_STATE_COLUMNS = (
    portfolio_state.c.account_id, portfolio_state.c.as_of, portfolio_state.c.capital, portfolio_state.c.realized_pnl,
    portfolio_state.c.unrealized_pnl, portfolio_state.c.allocated, portfolio_state.c.available,
    portfolio_state.c.equity, portfolio_state.c.open_positions, _EXPOSURE.label("exposure"),
    portfolio_state.c.updated_at,
)


@lru_cache(maxsize=2)
def _state(explicit: bool) -> Select:
    account = _account(explicit)
    return select(*account.c, *_STATE_COLUMNS).select_from(
        account.outerjoin(portfolio_state, portfolio_state.c.account_id == account.c.id))


def _exposure_rows(items: Sequence[Sequence[Any]] | None) -> tuple[SectorExposureRow, ...]:
    return tuple(SectorExposureRow(sector_id=int(key) if str(key).isdigit() else None, sector=code, sector_name=name,
                                   exposure=float(value)) for key, code, name, value in items or ())


# Positions, actions, equity, balances ---------------------------------------------------------------

_newest_signal = (
    select(final_signals.c.decision, final_signals.c.confidence, final_signals.c.timestamp)
    .where(final_signals.c.coin_id == portfolio_positions.c.coin_id,
           final_signals.c.timeframe == portfolio_positions.c.timeframe)
    .order_by(final_signals.c.timestamp.desc()).limit(1).lateral("newest_signal")
)
_p = portfolio_positions
_RISK_TO_STOP = case(
    (and_(_p.c.entry_price > 0, _p.c.stop_loss.is_not(None)),
     func.greatest((_p.c.entry_price - _p.c.stop_loss) / _p.c.entry_price, 0.0)),
    else_=None,
)
_POSITION_KEY = ("opened_at", "position_id")


@lru_cache(maxsize=16)
def _positions(explicit: bool, status: str, after: bool) -> Select:
    def build(account: Subquery) -> Select:
        statement = (
            select(_p.c.position_id, _p.c.coin_id, coins.c.symbol, coins.c.name, sectors.c.code.label("sector"),
                   sectors.c.name.label("sector_name"), _p.c.timeframe, _p.c.status, _p.c.opened_at, _p.c.closed_at,
                   _p.c.units, _p.c.entry_price, _p.c.cost_basis, _p.c.stop_loss, _p.c.take_profit, _p.c.realized_pnl,
                   _p.c.last_price, _p.c.market_value, _p.c.unrealized_pnl, _RISK_TO_STOP.label("risk_to_stop"),
                   _newest_signal.c.decision.label("latest_decision"),
                   _newest_signal.c.confidence.label("latest_decision_confidence"),
                   _newest_signal.c.timestamp.label("latest_decision_at"))
            .select_from(_p.join(coins, coins.c.id == _p.c.coin_id).join(sectors, sectors.c.id == coins.c.sector_id)
                         .outerjoin(_newest_signal, true()))
            .where(_p.c.account_id == account.c.id)
            .order_by(*(_p.c[name].desc() for name in _POSITION_KEY))
            .limit(bindparam("limit"))
        )
        if status == "open":
            statement = statement.where(_p.c.status.in_(OPEN_STATUSES))
        elif status == "closed":
            statement = statement.where(_p.c.status.not_in(OPEN_STATUSES))
        if after:
            statement = statement.where(before([_p.c[name] for name in _POSITION_KEY]))
        return statement

    return _anchored(explicit, build, lambda page: [page.c[name].desc() for name in _POSITION_KEY])


_a = portfolio_actions


@lru_cache(maxsize=8)
def _actions(explicit: bool, after: bool) -> Select:
    def build(account: Subquery) -> Select:
        statement = (
            select(_a.c.sequence, _a.c.executed_at, _a.c.position_id, _a.c.coin_id, coins.c.symbol, coins.c.name,
                   _a.c.timeframe, _a.c.action, _a.c.reason, _a.c.decision, _a.c.decision_timestamp, _a.c.confidence,
                   _a.c.units, _a.c.price, _a.c.notional, _a.c.fee, _a.c.realized_pnl, _a.c.position_units_after,
                   _a.c.position_entry_after, _a.c.stop_loss, _a.c.take_profit)
            .join_from(_a, coins, coins.c.id == _a.c.coin_id)
            .where(_a.c.account_id == account.c.id)
            .order_by(_a.c.executed_at.desc(), _a.c.sequence.desc())
            .limit(bindparam("limit"))
        )
        if after:
            statement = statement.where(before([_a.c.executed_at, _a.c.sequence]))
        return statement

    return _anchored(explicit, build, lambda page: [page.c.executed_at.desc(), page.c.sequence.desc()])


_e = portfolio_equity


@lru_cache(maxsize=8)
def _equity(explicit: bool, after: bool, since: bool) -> Select:
    def build(account: Subquery) -> Select:
        statement = (
            select(_e.c.timestamp, _e.c.cash, _e.c.allocated, _e.c.realized_pnl, _e.c.unrealized_pnl, _e.c.equity,
                   _e.c.drawdown)
            .where(_e.c.account_id == account.c.id)
            .order_by(_e.c.timestamp)
            .limit(bindparam("limit"))
        )
        if after:
            statement = statement.where(_e.c.timestamp > bindparam("after_0"))
        if since:
            statement = statement.where(_e.c.timestamp >= bindparam("since"))
        return statement

    return _anchored(explicit, build, lambda page: [page.c.timestamp])


_b = portfolio_balances


@lru_cache(maxsize=4)
def _balances(explicit: bool, after: bool) -> Select:
    def build(account: Subquery) -> Select:
        statement = (
            select(_b.c.symbol, _b.c.coin_id, _b.c.balance, _b.c.value_usd, _b.c.updated_at)
            .where(_b.c.account_id == account.c.id)
            .order_by(_b.c.symbol)
            .limit(bindparam("limit"))
        )
        if after:
            statement = statement.where(_b.c.symbol > bindparam("after_0"))
        return statement

    return _anchored(explicit, build, lambda page: [page.c.symbol])


@lru_cache(maxsize=2)
def _accounts_list(after: bool) -> Select:
    statement = select(*_ACCOUNT_COLUMNS).order_by(_accounts.c.id).limit(bindparam("limit"))
    if after:
        statement = statement.where(_accounts.c.id > bindparam("after_0"))
    return statement


class PortfolioReadQueries:
    """Accounts, and per account its state, positions, action ledger, equity curve and balances."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _params(self, account_id: int | None, limit: int | None = None, after: Sequence[Any] | None = None
                ) -> dict[str, object]:
        params: dict[str, object] = {}
        if account_id is not None:
            params["account_id"] = account_id
        if limit is not None:
            params["limit"] = limit
        params.update(after_values(after))
        return params

    def accounts(self, *, limit: int, after: Sequence[Any] | None = None) -> tuple[AccountRow, ...]:
        """Every account by id (without its credentials reference)."""
        rows = self._connection.execute(_accounts_list(after is not None), self._params(None, limit, after)).all()
        log_query("portfolio", "api_accounts", count=len(rows))
        return tuple(AccountRow(*row) for row in rows)

    def state(self, account_id: int | None = None) -> PortfolioStateRead | None:
        """The account's state; ``None`` when ``account_id`` names no account."""
        row = self._connection.execute(_state(account_id is not None), self._params(account_id)).first()
        log_query("portfolio", "api_state", count=int(row is not None))
        if row is None:
            return None if account_id is not None else PortfolioStateRead(account=None, state=None)
        values = tuple(row)
        account, state = AccountRow(*values[:_N_ACCOUNT]), values[_N_ACCOUNT:]
        if state[0] is None:  # no state row for the account yet
            return PortfolioStateRead(account=account, state=None)
        (_, as_of, capital, realized, unrealized, allocated, available, equity, open_positions, exposure,
         updated_at) = state
        return PortfolioStateRead(account=account, state=PortfolioStateRow(
            as_of=as_of, capital=capital, realized_pnl=realized, unrealized_pnl=unrealized, allocated=allocated,
            available=available, equity=equity, open_positions=open_positions,
            exposure_by_sector=_exposure_rows(exposure), updated_at=updated_at))

    def positions(self, account_id: int | None = None, *, status: str = "open", limit: int,
                  after: Sequence[Any] | None = None) -> AccountPage[PositionRow] | None:
        """Positions newest opened first; ``status`` ``open`` (open or partial), ``closed`` or ``all``."""
        rows = self._connection.execute(_positions(account_id is not None, status, after is not None),
                                        self._params(account_id, limit, after)).all()
        log_query("portfolio", "api_positions", count=len(rows))
        return None if not rows and account_id is not None else _account_page(rows, PositionRow)

    def actions(self, account_id: int | None = None, *, limit: int, after: Sequence[Any] | None = None
                ) -> AccountPage[ActionRow] | None:
        """The action ledger, newest fill first."""
        rows = self._connection.execute(_actions(account_id is not None, after is not None),
                                        self._params(account_id, limit, after)).all()
        log_query("portfolio", "api_actions", count=len(rows))
        return None if not rows and account_id is not None else _account_page(rows, ActionRow)

    def equity(self, account_id: int | None = None, *, limit: int, after: Sequence[Any] | None = None,
               since: datetime | None = None) -> AccountPage[EquityPointRow] | None:
        """Equity-curve points, oldest first, at or after ``since``."""
        params = self._params(account_id, limit, after)
        if since is not None:
            params["since"] = since
        rows = self._connection.execute(_equity(account_id is not None, after is not None, since is not None),
                                        params).all()
        log_query("portfolio", "api_equity", count=len(rows))
        return None if not rows and account_id is not None else _account_page(rows, EquityPointRow)

    def balances(self, account_id: int | None = None, *, limit: int, after: Sequence[Any] | None = None
                 ) -> AccountPage[BalanceRow] | None:
        """Synced balances by symbol."""
        rows = self._connection.execute(_balances(account_id is not None, after is not None),
                                        self._params(account_id, limit, after)).all()
        log_query("portfolio", "api_balances", count=len(rows))
        return None if not rows and account_id is not None else _account_page(rows, BalanceRow)
