"""The portfolio: accounts, state, positions, action ledger, equity curve, balances (reference 5.2–5.4).

No schema has a credentials field (DECISIONS.md 28).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from iris_api.schemas.common import PagePublic, PublicModel, SnapshotPublic


class AccountPublic(PublicModel):
    """A portfolio account; credentials are never exposed."""

    id: int
    kind: str = Field(description="`paper` (simulated) or `exchange`.")
    exchange_name: str
    account_name: str
    enabled: bool
    starting_capital: float
    created_at: datetime
    is_default: bool = Field(description="The paper account used when a route gets no `account_id`.")


class AccountsPublic(PagePublic):
    """Accounts by id."""

    data: list[AccountPublic]


class SectorExposurePublic(PublicModel):
    """Cost basis of a sector's open positions as a fraction of capital."""

    sector_id: int | None
    sector: str | None = Field(description="Sector code.")
    sector_name: str | None
    exposure: float


class PortfolioStatePublic(SnapshotPublic):
    """An account's state, projected from its action ledger (reference 5.4). Without an account, or before
    its first projection, the figures are the starting capital and zeros."""

    account: AccountPublic | None = Field(description="The account; null when none was asked for and no "
                                                      "paper account exists.")
    as_of: datetime | None = Field(description="The bar the state was marked at (the last equity point).")
    capital: float = Field(description="Starting capital.")
    realized_pnl: float
    unrealized_pnl: float = Field(description="Open positions marked to the latest close.")
    allocated: float = Field(description="Cost basis of the open positions.")
    available: float = Field(description="capital + realized_pnl − allocated.")
    equity: float = Field(description="capital + realized_pnl + unrealized_pnl.")
    open_positions: int
    exposure_by_sector: list[SectorExposurePublic] = Field(description="Largest exposure first.")
    updated_at: datetime | None


class PositionPublic(PublicModel):
    """A position with its coin, risk to the stop, and the newest final signal of its coin and timeframe."""

    position_id: int = Field(description="The position's id within its account (actions name it).")
    coin_id: int
    symbol: str
    name: str
    sector: str
    sector_name: str
    timeframe: int
    status: str = Field(description="`open` or `closed`.")
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
    risk_to_stop: float | None = Field(description="max((entry − stop) / entry, 0); null without a stop.")
    latest_decision: str | None
    latest_decision_confidence: float | None
    latest_decision_at: datetime | None


class PositionsPublic(PagePublic):
    """Positions, newest opened first."""

    account: AccountPublic | None
    status: str = Field(description="The filter applied: `open`, `closed` or `all`.")
    data: list[PositionPublic]


class ActionPublic(PublicModel):
    """One fill of the action ledger (a HOLD writes none, DECISIONS.md 26)."""

    sequence: int = Field(description="Replay order within the account.")
    executed_at: datetime
    position_id: int
    coin_id: int
    symbol: str
    name: str
    timeframe: int
    action: str
    reason: str = Field(description="What triggered it: a decision, a stop-loss, a take-profit …")
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


class ActionsPublic(PagePublic):
    """The action ledger, newest fill first."""

    account: AccountPublic | None
    data: list[ActionPublic]


class EquityPointPublic(PublicModel):
    """One point of the equity curve."""

    timestamp: datetime
    cash: float
    allocated: float
    realized_pnl: float
    unrealized_pnl: float
    equity: float
    drawdown: float = Field(description="Fall from the running equity peak, as a fraction (≤ 0).")


class EquityCurvePublic(PagePublic):
    """Equity-curve points, oldest first; ``next_cursor`` continues with later points."""

    account: AccountPublic | None
    data: list[EquityPointPublic]


class BalancePublic(PublicModel):
    """The last synced holding of one asset (zeroed when the exchange stopped reporting it)."""

    symbol: str
    coin_id: int | None
    balance: float
    value_usd: float
    updated_at: datetime


class BalancesPublic(PagePublic):
    """Balances by symbol."""

    account: AccountPublic | None
    data: list[BalancePublic]
