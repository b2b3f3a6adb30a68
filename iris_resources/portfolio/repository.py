"""Write side of the portfolio: accounts, balance syncs, and the ledger with its projections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from psycopg import sql
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from iris_resources.db.binary_copy import PgType
from iris_resources.db.persistence_log import log_repo
from iris_resources.market_data.repository import copy_frame
from iris_resources.market_data.tables import coins
from iris_resources.portfolio.tables import (
    portfolio_accounts,
    portfolio_actions,
    portfolio_balances,
    portfolio_equity,
    portfolio_positions,
    portfolio_state,
)

# Where credentials live: an environment variable or a secret-manager name, never the value.
CREDENTIALS_REF = re.compile(r"^(env|secret):[A-Za-z_][A-Za-z0-9_./-]{0,120}$")

ACTION_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("account_id", "int4"), ("sequence", "int8"), ("executed_at", "timestamptz"), ("position_id", "int8"),
    ("coin_id", "int4"),
    ("timeframe", "int2"), ("action", "text"), ("reason", "text"), ("decision", "text"),
    ("decision_timestamp", "timestamptz"), ("confidence", "float8"), ("units", "float8"), ("price", "float8"),
    ("notional", "float8"), ("fee", "float8"), ("realized_pnl", "float8"), ("position_units_after", "float8"),
    ("position_entry_after", "float8"), ("stop_loss", "float8"), ("take_profit", "float8"),
)
POSITION_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("account_id", "int4"), ("position_id", "int8"), ("coin_id", "int4"), ("timeframe", "int2"),
    ("sector_id", "int4"), ("opened_at", "timestamptz"),
    ("status", "text"), ("units", "float8"), ("entry_price", "float8"), ("cost_basis", "float8"),
    ("stop_loss", "float8"), ("take_profit", "float8"), ("closed_at", "timestamptz"), ("realized_pnl", "float8"),
    ("last_price", "float8"), ("market_value", "float8"), ("unrealized_pnl", "float8"),
)
EQUITY_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("account_id", "int4"), ("timestamp", "timestamptz"), ("cash", "float8"), ("allocated", "float8"),
    ("realized_pnl", "float8"), ("unrealized_pnl", "float8"), ("equity", "float8"), ("drawdown", "float8"),
)


class PortfolioRepository:
    """Accounts, balances and the ledger-derived tables."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def ensure_paper_account(self, name: str, starting_capital: float) -> int:
        """The paper account's id, created on first use; its starting capital follows the setting."""
        statement = pg_insert(portfolio_accounts).values(
            kind="paper", exchange_name="paper", account_name=name, starting_capital=starting_capital)
        upsert = statement.on_conflict_do_update(
            index_elements=["exchange_name", "account_name"],
            set_={"starting_capital": statement.excluded.starting_capital},
        ).returning(portfolio_accounts.c.id)
        return int(self._connection.execute(upsert).scalar_one())

    def register_exchange_account(self, exchange_name: str, account_name: str, credentials_ref: str) -> int:
        """Create or update an exchange account that reads its credentials from ``credentials_ref``."""
        if not CREDENTIALS_REF.match(credentials_ref or ""):
            raise ValueError("credentials_ref must name where the credentials live, as 'env:VARIABLE' or "
                             "'secret:NAME' — IRIS never stores API keys")
        exchange = exchange_name.strip().lower()
        if not exchange or exchange == "paper":
            raise ValueError(f"exchange_name {exchange_name!r} is not an exchange")
        statement = pg_insert(portfolio_accounts).values(
            kind="exchange", exchange_name=exchange, account_name=account_name.strip(),
            credentials_ref=credentials_ref, starting_capital=0.0)
        upsert = statement.on_conflict_do_update(
            index_elements=["exchange_name", "account_name"],
            set_={"credentials_ref": statement.excluded.credentials_ref},
        ).returning(portfolio_accounts.c.id)
        return int(self._connection.execute(upsert).scalar_one())

    def replace_ledger(self, account_id: int, actions: pl.DataFrame, positions: pl.DataFrame,
                       equity: pl.DataFrame, state: dict[str, Any]) -> int:
        """Replace the account's ledger and every projection of it, in this transaction.

        The tables end up holding exactly the given rows, but only rows that differ from the stored
        ones are deleted and written: a replay of a longer history mostly appends, so a run writes
        what changed instead of the whole ledger again. Returns the number of ledger rows written.
        """
        written = 0
        for table, frame, columns, key in ((portfolio_actions, actions, ACTION_COLUMNS, "sequence"),
                                           (portfolio_positions, positions, POSITION_COLUMNS, "position_id"),
                                           (portfolio_equity, equity, EQUITY_COLUMNS, "timestamp")):
            rows = frame.select([c for c, _ in columns if c != "account_id"])
            stale, fresh = _changed_rows(self._stored(table.name, account_id, rows.schema, columns), rows, key)
            if stale:
                self._connection.execute(delete(table).where(table.c.account_id == account_id,
                                                             table.c[key].in_(stale)))
            if not fresh.is_empty():
                fresh = fresh.with_columns(pl.lit(account_id, dtype=pl.Int32).alias("account_id"))
                copy_frame(self._connection, table.name, fresh.select([c for c, _ in columns]), columns)
            written += fresh.height if table is portfolio_actions else 0
        statement = pg_insert(portfolio_state).values(account_id=account_id, **state)
        self._connection.execute(statement.on_conflict_do_update(
            index_elements=["account_id"], set_={k: statement.excluded[k] for k in state}))
        log_repo("portfolio", "replace_ledger", mode="write", count=written, bulk=True)
        return written

    def _stored(self, table: str, account_id: int, schema: pl.Schema,
                columns: Sequence[tuple[str, PgType]]) -> pl.DataFrame:
        """The account's stored rows of ``table`` typed like ``schema`` (binary row fetch: a COPY
        costs a round of driver work per row; timestamps travel as epoch microseconds)."""
        kinds = dict(columns)
        selected = sql.SQL(", ").join(
            sql.SQL("(extract(epoch FROM {})::numeric * 1000000)::int8").format(sql.Identifier(name))
            if kinds[name] == "timestamptz" else sql.Identifier(name) for name in schema.names())
        statement = sql.SQL("SELECT {columns} FROM {table} WHERE account_id = %s").format(
            columns=selected, table=sql.Identifier(table))
        driver = self._connection.connection.driver_connection
        assert driver is not None
        with driver.cursor(binary=True) as cursor:
            rows = cursor.execute(statement, (account_id,)).fetchall()
        times = [name for name in schema.names() if kinds[name] == "timestamptz"]
        raw = pl.DataFrame(rows, schema={name: pl.Int64 if name in times else dtype for name, dtype in schema.items()},
                           orient="row")
        return raw.with_columns(pl.col(name).cast(pl.Datetime("us", "UTC")) for name in times)

    def apply_balance_sync(self, account_id: int, upserts: Sequence[dict[str, Any]], now: datetime) -> int:
        """Upsert synced balances (zeroed assets included) for one account."""
        if not upserts:
            return 0
        symbols = [u["symbol"] for u in upserts]
        ids = dict(self._connection.execute(select(coins.c.symbol, coins.c.id).where(
            coins.c.symbol.in_(symbols))).tuples().all())
        rows = [{"account_id": account_id, "symbol": u["symbol"], "coin_id": ids.get(u["symbol"]),
                 "balance": u["balance"], "value_usd": u["value_usd"], "updated_at": now} for u in upserts]
        statement = pg_insert(portfolio_balances).values(rows)
        self._connection.execute(statement.on_conflict_do_update(
            index_elements=["account_id", "symbol"],
            set_={c: statement.excluded[c] for c in ("coin_id", "balance", "value_usd", "updated_at")}))
        return len(rows)

    def set_auto_watch(self, enable: Sequence[str], disable: Sequence[str]) -> tuple[int, int]:
        """Enable coins a balance made worth watching; disable again only coins auto-watch enabled."""
        enabled = self._connection.execute(update(coins).where(
            coins.c.symbol.in_(list(enable)), coins.c.enabled.is_(False)).values(
            enabled=True, auto_watch_enabled=True, auto_watch_source="portfolio")).rowcount if enable else 0
        disabled = self._connection.execute(update(coins).where(
            coins.c.symbol.in_(list(disable)), coins.c.auto_watch_enabled.is_(True)).values(
            enabled=False, auto_watch_enabled=False)).rowcount if disable else 0
        return int(enabled or 0), int(disabled or 0)


def _changed_rows(stored: pl.DataFrame, rows: pl.DataFrame, key: str) -> tuple[list[Any], pl.DataFrame]:
    """Keys of stored rows to delete (gone or different) and the rows to write (new or different).

    Rows are compared column by column with exact equality (nulls equal nulls), so the table
    afterwards holds exactly ``rows``.
    """
    if stored.is_empty():
        return [], rows
    if rows.is_empty():
        return stored.get_column(key).to_list(), rows
    stored = stored.cast(rows.schema)
    others = [c for c in rows.columns if c != key]
    joined = stored.join(rows, on=key, how="full", suffix="__new", coalesce=False, nulls_equal=True)
    same = pl.all_horizontal(pl.col(key).is_not_null(), pl.col(f"{key}__new").is_not_null(),
                             *(pl.col(c).eq_missing(pl.col(f"{c}__new")) for c in others))
    changed = joined.filter(~same)
    stale = changed.get_column(key).drop_nulls().to_list()
    fresh_keys = changed.get_column(f"{key}__new").drop_nulls()
    return stale, rows.filter(pl.col(key).is_in(fresh_keys.implode()))
