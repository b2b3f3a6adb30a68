"""Portfolio tables (DDL in ``migrations/``).

The action ledger is the source of truth: positions, state and the equity curve are projections of
it (an equity curve is reproducible from the ledger and mark prices alone). Credentials are never
stored; an account names the environment variable or secret that holds them (DECISIONS.md 28).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from iris_resources.db.schema import metadata, timestamptz

portfolio_accounts = Table(
    "portfolio_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # paper | exchange
    Column("exchange_name", String(32), nullable=False),
    Column("account_name", String(64), nullable=False),
    # "env:NAME" or "secret:NAME" — where the credentials live, never the credentials.
    Column("credentials_ref", String(128)),
    Column("starting_capital", Float, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("exchange_name", "account_name"),
)

# Last synced holding of one asset on one exchange account; assets missing from a sync are zeroed.
portfolio_balances = Table(
    "portfolio_balances",
    metadata,
    Column("account_id", Integer, nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("coin_id", Integer),
    Column("balance", Float, nullable=False),
    Column("value_usd", Float, nullable=False),
    timestamptz("updated_at"),
    PrimaryKeyConstraint("account_id", "symbol"),
)

# Every fill, in order. ``sequence`` is the replay order within an account.
portfolio_actions = Table(
    "portfolio_actions",
    metadata,
    Column("account_id", Integer, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    timestamptz("executed_at"),
    Column("position_id", BigInteger, nullable=False),
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("action", String(32), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("decision", String(32)),
    timestamptz("decision_timestamp", nullable=True),
    Column("confidence", Float),
    Column("units", Float, nullable=False),
    Column("price", Float, nullable=False),
    Column("notional", Float, nullable=False),
    Column("fee", Float, nullable=False),
    Column("realized_pnl", Float, nullable=False),
    Column("position_units_after", Float, nullable=False),
    Column("position_entry_after", Float),
    Column("stop_loss", Float),
    Column("take_profit", Float),
    PrimaryKeyConstraint("account_id", "sequence"),
    Index("ix_portfolio_actions_executed", "account_id", "executed_at"),
)

portfolio_positions = Table(
    "portfolio_positions",
    metadata,
    Column("account_id", Integer, nullable=False),
    Column("position_id", BigInteger, nullable=False),
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("sector_id", Integer),
    timestamptz("opened_at"),
    Column("status", String(16), nullable=False),
    Column("units", Float, nullable=False),
    Column("entry_price", Float),
    Column("cost_basis", Float, nullable=False),
    Column("stop_loss", Float),
    Column("take_profit", Float),
    timestamptz("closed_at", nullable=True),
    Column("realized_pnl", Float, nullable=False),
    Column("last_price", Float),
    Column("market_value", Float, nullable=False),
    Column("unrealized_pnl", Float, nullable=False),
    PrimaryKeyConstraint("account_id", "position_id"),
    Index("ix_portfolio_positions_coin", "account_id", "coin_id", "timeframe", "status"),
)

portfolio_state = Table(
    "portfolio_state",
    metadata,
    Column("account_id", Integer, primary_key=True),
    timestamptz("as_of", nullable=True),
    Column("capital", Float, nullable=False),
    Column("realized_pnl", Float, nullable=False),
    Column("unrealized_pnl", Float, nullable=False),
    Column("allocated", Float, nullable=False),
    Column("available", Float, nullable=False),
    Column("equity", Float, nullable=False),
    Column("open_positions", Integer, nullable=False),
    Column("exposure_by_sector", JSONB(none_as_null=True), nullable=False),
    timestamptz("updated_at"),
)

portfolio_equity = Table(
    "portfolio_equity",
    metadata,
    Column("account_id", Integer, nullable=False),
    timestamptz("timestamp"),
    Column("cash", Float, nullable=False),
    Column("allocated", Float, nullable=False),
    Column("realized_pnl", Float, nullable=False),
    Column("unrealized_pnl", Float, nullable=False),
    Column("equity", Float, nullable=False),
    Column("drawdown", Float, nullable=False),
    PrimaryKeyConstraint("account_id", "timestamp"),
)
