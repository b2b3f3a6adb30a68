"""Portfolio assets against a real PostgreSQL: paper trading from final signals, reproducible from
the ledger, idempotent re-runs, and exchange balance syncs with auto-watch."""

from __future__ import annotations

from typing import Any

import dagster as dg
import polars as pl
import pytest
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS
from iris_assets.portfolio.ledger import replay_ledger
from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import read_frame
from iris_resources.sources.balances import ExchangeBalancesResource
from iris_resources.sources.base import SourceError

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _range(instance: dg.DagsterInstance, resources: dict[str, Any], names: tuple[str, ...], first: str,
           last: str) -> None:
    dg.materialize([BY_NAME[n] for n in names], resources=resources, instance=instance, run_config=QUIET,
                   tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last})


def _frame(engine: Engine, sql: str) -> pl.DataFrame:
    with engine.connect() as connection:
        return read_frame(connection, text(sql))  # type: ignore[arg-type]


@pytest.fixture
def traded(instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine) -> dg.ExecuteInProcessResult:
    dg.materialize([BY_NAME["coins"], BY_NAME["pattern_registry"]], resources=resources, instance=instance,
                   run_config=QUIET)
    _range(instance, resources, ("candles", "candle_aggregates", "indicators"), "2024-01-10", "2024-01-31")
    _range(instance, resources, ("pattern_signals", "signal_outcomes", "coin_relations", "market_leaders"),
           "2024-01-20", "2024-01-31")
    _range(instance, resources, ("investment_decisions",), "2024-01-20", "2024-01-31")
    return dg.materialize([BY_NAME["portfolio_actions"]], resources=resources, instance=instance, run_config=QUIET)


def test_paper_trading_from_final_signals_reconciles_and_replays_from_the_ledger(
        traded: dg.ExecuteInProcessResult, engine: Engine) -> None:
    assert traded.success
    assert {(e.check_name, e.passed) for e in traded.get_asset_check_evaluations()} == {
        ("ledger_reconciles", True), ("positions_within_caps", True), ("no_negative_sizes", True)}
    ledger = _frame(engine, "SELECT * FROM portfolio_actions ORDER BY sequence")
    assert ledger.height > 0
    assert set(ledger.get_column("action")) >= {"OPEN_POSITION"}
    state = _frame(engine, "SELECT * FROM portfolio_state").row(0, named=True)
    assert state["allocated"] + state["available"] == pytest.approx(state["capital"] + state["realized_pnl"],
                                                                     abs=1e-6)
    assert state["realized_pnl"] == pytest.approx(float(ledger.get_column("realized_pnl").sum()), abs=1e-6)
    # The stored equity curve is reproducible from the ledger and stored closes alone.
    prices = pl.concat([
        _frame(engine, "SELECT coin_id, timeframe, timestamp, close FROM candles"),
        _frame(engine, "SELECT coin_id, timeframe, timestamp, close FROM candle_aggregates WHERE NOT is_partial"),
    ]).cast({"coin_id": pl.Int32, "timeframe": pl.Int16})
    # The asset reads marks from the first final signal on.
    first = _frame(engine, "SELECT min(timestamp) AS t FROM final_signals").item()
    prices = prices.filter(pl.col("timestamp") >= first)
    replayed = replay_ledger(ledger.drop("account_id"), prices, state["capital"])
    stored = _frame(engine, "SELECT timestamp, equity FROM portfolio_equity ORDER BY timestamp")
    assert replayed.get_column("timestamp").to_list() == stored.get_column("timestamp").to_list()
    assert (replayed.get_column("equity") - stored.get_column("equity")).abs().max() < 1e-6  # type: ignore[operator]
    # Every open position's stop sits below and take-profit above its entry (ATR levels).
    open_positions = _frame(engine, "SELECT * FROM portfolio_positions WHERE status = 'open' AND stop_loss IS NOT NULL")
    assert all(r["stop_loss"] < r["entry_price"] < r["take_profit"] for r in open_positions.iter_rows(named=True))


def test_rerunning_the_portfolio_rewrites_the_same_ledger_and_announces_nothing_new(
        traded: dg.ExecuteInProcessResult, instance: dg.DagsterInstance, resources: dict[str, Any],
        engine: Engine) -> None:
    before = _frame(engine, "SELECT * FROM portfolio_actions ORDER BY sequence")
    events = _frame(engine, "SELECT count(*) AS n FROM event_outbox WHERE event_type LIKE 'portfolio_%'").item()
    assert dg.materialize([BY_NAME["portfolio_actions"]], resources=resources, instance=instance,
                          run_config=QUIET).success
    assert _frame(engine, "SELECT * FROM portfolio_actions ORDER BY sequence").equals(before)
    assert _frame(engine, "SELECT count(*) AS n FROM event_outbox WHERE event_type LIKE 'portfolio_%'").item() == events


class _FakeExchange(ExchangeBalancesResource):
    """Balances served from a class-level script (third-party edge: the exchange)."""

    script: list[Any] = []

    def fetcher(self, exchange_name: str, credentials_ref: str) -> Any:
        reply = _FakeExchange.script.pop(0)

        class _Fetcher:
            def fetch(self) -> list[dict[str, Any]]:
                if isinstance(reply, Exception):
                    raise reply
                return reply

        return _Fetcher()


def test_balance_sync_zeroes_missing_assets_and_auto_watches_above_the_threshold(
        instance: dg.DagsterInstance, resources: dict[str, Any], transaction: TransactionResource,
        engine: Engine) -> None:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    with engine.begin() as connection:
        symbol = connection.execute(text("SELECT symbol FROM coins ORDER BY id DESC LIMIT 1")).scalar_one()
        connection.execute(text("UPDATE coins SET enabled = false WHERE symbol = :s"), {"s": symbol})
    with transaction.begin() as uow:
        with pytest.raises(ValueError, match="never stores API keys"):
            uow.portfolio.register_exchange_account("binance", "main", "sk_live_plain_key")
        uow.portfolio.register_exchange_account("binance", "main", "env:IRIS_TEST_BINANCE_KEYS")
        uow.commit()
    fake = {**resources, "exchange_balances": _FakeExchange()}

    def sync(reply: Any) -> dg.ExecuteInProcessResult:
        _FakeExchange.script = [reply]
        return dg.materialize([BY_NAME["portfolio_balances"]], resources=fake, instance=instance, run_config=QUIET)

    def coin() -> tuple[bool, bool]:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT enabled, auto_watch_enabled FROM coins WHERE symbol = :s"),
                                     {"s": symbol}).one()
        return bool(row[0]), bool(row[1])

    sync([{"symbol": symbol, "balance": 3.0, "value_usd": 450.0}, {"symbol": "dustusd", "balance": 1, "value_usd": 2}])
    assert coin() == (True, True)
    balances = dict(_frame(engine, "SELECT symbol, value_usd FROM portfolio_balances").rows())
    assert balances == {symbol: 450.0, "DUSTUSD": 2.0}
    # A failed fetch changes nothing.
    assert sync(SourceError("exchange down")).success
    assert dict(_frame(engine, "SELECT symbol, value_usd FROM portfolio_balances").rows()) == balances
    # The asset disappeared from the account: zeroed, and auto-watch lets go of the coin.
    sync([{"symbol": "DUSTUSD", "balance": 1, "value_usd": 2}])
    assert dict(_frame(engine, "SELECT symbol, value_usd FROM portfolio_balances").rows()) == {
        symbol: 0.0, "DUSTUSD": 2.0}
    assert coin() == (False, False)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT credentials_ref FROM portfolio_accounts WHERE kind = 'exchange'"))
        assert stored.scalar_one() == "env:IRIS_TEST_BINANCE_KEYS"
