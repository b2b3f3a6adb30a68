"""Decision assets against a real PostgreSQL: change-only logs, checks, idempotency, no look-ahead."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
LOGS = ("investment_decisions", "final_signals", "market_decisions")
FUTURE = "2024-01-27 00:00+00"  # every bar of the decided days (25th–26th) opens before this


def _range(instance: dg.DagsterInstance, resources: dict[str, Any], names: tuple[str, ...], first: str,
           last: str) -> dg.ExecuteInProcessResult:
    return dg.materialize([BY_NAME[n] for n in names], resources=resources, instance=instance, run_config=QUIET,
                          tags={"dagster/asset_partition_range_start": first,
                                "dagster/asset_partition_range_end": last})


def _rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(
            f"SELECT coin_id, timeframe, timestamp, decision, round(confidence::numeric, 9) FROM {table} "
            f"WHERE timestamp < '{FUTURE}' ORDER BY 1, 2, 3"))]


def _execute(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


@pytest.fixture
def decided(instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine) -> dict[str, Any]:
    dg.materialize([BY_NAME["coins"], BY_NAME["pattern_registry"]], resources=resources, instance=instance,
                   run_config=QUIET)
    _range(instance, resources, ("candles", "candle_aggregates", "indicators"), "2024-01-10", "2024-01-31")
    _range(instance, resources, ("pattern_signals", "signal_outcomes", "coin_relations", "market_leaders"),
           "2024-01-20", "2024-01-31")
    result = _range(instance, resources, ("investment_decisions", "market_decisions"), "2024-01-25", "2024-01-26")
    return {"result": result, "rows": {t: _rows(engine, t) for t in LOGS}}


def test_decisions_are_stored_only_on_changes_and_pass_their_checks(decided: dict[str, Any], engine: Engine) -> None:
    result: dg.ExecuteInProcessResult = decided["result"]
    assert result.success
    checks = {(e.check_name, e.passed) for e in result.get_asset_check_evaluations()}
    assert checks == {("decisions_reference_signals", True), ("final_signals_downgrade_only", True),
                      ("market_decisions_reference_signals", True)}
    for table in LOGS:
        assert decided["rows"][table], table
        with engine.connect() as connection:
            repeats = connection.execute(text(f"""
                SELECT count(*) FROM (SELECT decision, confidence_band,
                    lag(decision) OVER w AS prev_decision, lag(confidence_band) OVER w AS prev_band
                  FROM {table} WINDOW w AS (PARTITION BY coin_id, timeframe ORDER BY timestamp)) t
                WHERE decision = prev_decision AND confidence_band = prev_band""")).scalar_one()
        assert repeats == 0, f"{table} stored an unchanged decision"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM risk_metrics")).scalar_one() > 0
        assert connection.execute(text(
            "SELECT count(*) FROM event_outbox WHERE event_type = 'decision_generated'")).scalar_one() > 0


def test_rerunning_a_day_is_idempotent(decided: dict[str, Any], instance: dg.DagsterInstance,
                                       resources: dict[str, Any], engine: Engine) -> None:
    _range(instance, resources, ("investment_decisions", "market_decisions"), "2024-01-26", "2024-01-26")
    _range(instance, resources, ("investment_decisions", "market_decisions"), "2024-01-25", "2024-01-26")
    for table in LOGS:
        assert _rows(engine, table) == decided["rows"][table], table


def test_a_decision_at_bar_t_uses_no_data_after_t(decided: dict[str, Any], instance: dg.DagsterInstance,
                                                 resources: dict[str, Any], engine: Engine) -> None:
    """Rewrite the future (signals, candles, outcomes, snapshots, a strategy that matches everything)
    and decide the past again: every decision before the future is unchanged."""
    _execute(
        engine,
        # Scramble every later signal: flip directions and confidences, and plant new ones.
        f"""UPDATE signals SET direction = CASE direction WHEN 'bullish' THEN 'bearish' ELSE 'bullish' END,
                               confidence = 1 - confidence * 0.5, priority_score = 2.0
            WHERE candle_timestamp >= '{FUTURE}'""",
        f"""UPDATE candles SET close = close * 3, high = high * 3, low = low * 0.2
            WHERE timestamp >= '{FUTURE}'""",
        # Outcomes that only become known after the decided bars turn from wins into losses.
        f"""UPDATE signal_outcomes SET result_return = -result_return
            WHERE candle_timestamp + make_interval(mins => timeframe)
                  + CASE WHEN return_72h IS NOT NULL THEN interval '72 hours' ELSE interval '24 hours' END
                  > '{FUTURE}'""",
        f"DELETE FROM coin_relations WHERE as_of >= '{FUTURE}'",
        f"DELETE FROM sector_metrics WHERE as_of >= '{FUTURE}'",
        "INSERT INTO strategies (name, timeframe, description) VALUES ('future', 15, 'matches everything')",
        f"""INSERT INTO strategy_performance (strategy_id, as_of, enabled, rank, sample_size, win_rate, avg_return,
                sharpe_ratio, sharpe_annualized, max_drawdown)
            SELECT id, '{FUTURE}', true, 1, 500, 0.99, 0.2, 5, 50, 0 FROM strategies WHERE name = 'future'""",
    )
    _range(instance, resources, ("investment_decisions", "market_decisions"), "2024-01-25", "2024-01-26")
    for table in LOGS:
        assert _rows(engine, table) == decided["rows"][table], table
