"""Immutable read models the read API serves for the portfolio domain.

No read model has a credentials field: an account's ``credentials_ref`` is never selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AccountRow:
    """A portfolio account (``paper`` or ``exchange``); ``is_default`` marks the paper account routes use
    when no ``account_id`` is given."""

    id: int
    kind: str
    exchange_name: str
    account_name: str
    enabled: bool
    starting_capital: float
    created_at: datetime
    is_default: bool


@dataclass(frozen=True, slots=True)
class AccountPage(Generic[T]):
    """Rows of one account; ``account`` is None when no account was asked for and no paper account exists."""

    account: AccountRow | None
    rows: tuple[T, ...]


@dataclass(frozen=True, slots=True)
class SectorExposureRow:
    """Cost basis of a sector's open positions as a fraction of capital."""

    sector_id: int | None
    sector: str | None
    sector_name: str | None
    exposure: float


@dataclass(frozen=True, slots=True)
class PortfolioStateRow:
    """The ``portfolio_state`` projection of an account's ledger."""

    as_of: datetime | None
    capital: float
    realized_pnl: float
    unrealized_pnl: float
    allocated: float
    available: float
    equity: float
    open_positions: int
    exposure_by_sector: tuple[SectorExposureRow, ...]
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class PortfolioStateRead:
    """An account and its state (``state`` None: no ledger projected yet)."""

    account: AccountRow | None
    state: PortfolioStateRow | None


@dataclass(frozen=True, slots=True)
class PositionRow:
    """A position (open or closed) with its coin, its risk to the stop, and the newest final signal of
    its coin and timeframe (the decisions the paper portfolio trades on)."""

    position_id: int
    coin_id: int
    symbol: str
    name: str
    sector: str
    sector_name: str
    timeframe: int
    status: str
    opened_at: datetime
    closed_at: datetime | None
    units: float
    entry_price: float | None
    cost_basis: float
    stop_loss: float | None
    take_profit: float | None
    realized_pnl: float
    last_price: float | None
    market_value: float
    unrealized_pnl: float
    risk_to_stop: float | None
    latest_decision: str | None
    latest_decision_confidence: float | None
    latest_decision_at: datetime | None


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One fill of the action ledger."""

    sequence: int
    executed_at: datetime
    position_id: int
    coin_id: int
    symbol: str
    name: str
    timeframe: int
    action: str
    reason: str
    decision: str | None
    decision_timestamp: datetime | None
    confidence: float | None
    units: float
    price: float
    notional: float
    fee: float
    realized_pnl: float
    position_units_after: float
    position_entry_after: float | None
    stop_loss: float | None
    take_profit: float | None


@dataclass(frozen=True, slots=True)
class EquityPointRow:
    """One point of the equity curve."""

    timestamp: datetime
    cash: float
    allocated: float
    realized_pnl: float
    unrealized_pnl: float
    equity: float
    drawdown: float


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """The last synced holding of one asset on an exchange account."""

    symbol: str
    coin_id: int | None
    balance: float
    value_usd: float
    updated_at: datetime
