"""Inputs of the portfolio simulation and balance sync, as Polars frames."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import Connection, select

from iris_resources.indicators.queries import read_frame
from iris_resources.market_data.tables import coins
from iris_resources.portfolio.tables import portfolio_accounts, portfolio_actions, portfolio_balances, portfolio_state
from iris_resources.signals.tables import final_signals


class PortfolioQueries:
    """Reads for the portfolio assets."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def final_signal_stream(self, timeframes: Sequence[int]) -> pl.DataFrame:
        """Every stored final signal of ``timeframes`` (the decision log: one row per change)."""
        frame = read_frame(self._connection, select(
            final_signals.c.coin_id, final_signals.c.timeframe, final_signals.c.timestamp, final_signals.c.decision,
            final_signals.c.confidence, final_signals.c.regime, final_signals.c.atr, final_signals.c.price)
            .where(final_signals.c.timeframe.in_(list(timeframes))))
        return frame.cast({"coin_id": pl.Int32, "timeframe": pl.Int16}) if not frame.is_empty() else frame

    def ledger(self, account_id: int) -> pl.DataFrame:
        """The account's stored action ledger in sequence order."""
        return read_frame(self._connection, select(portfolio_actions).where(
            portfolio_actions.c.account_id == account_id).order_by(portfolio_actions.c.sequence))

    def state(self, account_id: int) -> dict[str, object] | None:
        """The account's stored state row."""
        row = self._connection.execute(select(portfolio_state).where(
            portfolio_state.c.account_id == account_id)).mappings().first()
        return dict(row) if row is not None else None

    def exchange_accounts(self) -> list[dict[str, object]]:
        """Enabled exchange accounts (id, exchange_name, account_name, credentials_ref)."""
        return [dict(r) for r in self._connection.execute(select(
            portfolio_accounts.c.id, portfolio_accounts.c.exchange_name, portfolio_accounts.c.account_name,
            portfolio_accounts.c.credentials_ref).where(portfolio_accounts.c.kind == "exchange",
                                                       portfolio_accounts.c.enabled.is_(True))
            .order_by(portfolio_accounts.c.exchange_name, portfolio_accounts.c.account_name)).mappings()]

    def balances(self, account_id: int) -> pl.DataFrame:
        """symbol, balance, value_usd of the account's stored balances."""
        return read_frame(self._connection, select(
            portfolio_balances.c.symbol, portfolio_balances.c.balance, portfolio_balances.c.value_usd).where(
            portfolio_balances.c.account_id == account_id))

    def watch_state(self, symbols: Sequence[str]) -> pl.DataFrame:
        """symbol, enabled, auto_watch_enabled of the coins named (plus every auto-watched coin)."""
        return read_frame(self._connection, select(coins.c.symbol, coins.c.enabled, coins.c.auto_watch_enabled)
                          .where(coins.c.symbol.in_(list(symbols)) | coins.c.auto_watch_enabled.is_(True)))
