"""Evaluating predictions on the relation timeframe's candles after creation (spec §3.4, DECISIONS 21)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from iris_assets.predictions import OUTCOME_COLUMNS, PredictionConfig, create_predictions, evaluate_predictions
from tests.unit.predictions.prediction_builders import FOLLOWER, LEADER, T0, candles, moves, prices, relation, relations

DEADLINE = T0 + timedelta(hours=4)


def _prediction(direction: str = "up", created: timedelta = timedelta(0), correlation: float = 0.8) -> pl.DataFrame:
    created_frame = create_predictions(moves((LEADER, direction, 0.8, 5.0, T0 + created)),
                                       relations(relation(correlation=correlation)), prices(c2=100.0))
    return created_frame.with_row_index("prediction_id", offset=41).cast({"prediction_id": pl.Int64})


def _evaluate(prediction: pl.DataFrame, bars: list[tuple[float, float, float]], now_after: timedelta,
              start: timedelta = timedelta(0), config: PredictionConfig | None = None) -> dict[str, object] | None:
    outcomes = evaluate_predictions(prediction, candles(FOLLOWER, T0 + start, bars), T0 + now_after, config)
    assert outcomes.columns == list(OUTCOME_COLUMNS)
    return outcomes.row(0, named=True) if outcomes.height else None


def test_an_up_prediction_is_confirmed_early_by_the_first_high_reaching_the_target() -> None:
    bars = [(100.8, 99.5, 100.5), (102.0, 100.1, 101.2), (104.0, 100.0, 103.0)]
    outcome = _evaluate(_prediction(), bars, now_after=timedelta(hours=3))  # before the 4h deadline
    assert outcome is not None
    assert (outcome["status"], outcome["reason"], outcome["success"]) == ("confirmed", "target_reached", True)
    assert outcome["decided_candle"] == T0 + timedelta(hours=1) and outcome["candles_used"] == 2
    assert outcome["actual_move"] == pytest.approx(0.02) and outcome["profit"] == pytest.approx(0.02)
    assert outcome["realized_return"] == pytest.approx(0.012)  # close of the confirming candle
    assert outcome["prediction_id"] == 41 and outcome["evaluated_at"] == T0 + timedelta(hours=3)


def test_a_move_of_exactly_the_threshold_confirms() -> None:
    outcome = _evaluate(_prediction(correlation=-0.8), [(100.2, 98.5, 99.0)], now_after=timedelta(hours=1))
    assert outcome is not None and outcome["status"] == "confirmed" and outcome["actual_move"] == pytest.approx(-0.015)
    assert outcome["profit"] == pytest.approx(0.015)


def test_an_up_prediction_closing_the_window_below_minus_the_threshold_fails_as_an_opposite_move() -> None:
    bars = [(100.5, 99.0, 99.5), (99.6, 98.6, 99.0), (99.2, 98.0, 98.5), (98.9, 98.0, 98.2)]
    outcome = _evaluate(_prediction(), bars, now_after=timedelta(hours=4))
    assert outcome is not None
    assert (outcome["status"], outcome["reason"], outcome["success"]) == ("failed", "opposite_move", False)
    assert outcome["actual_move"] == pytest.approx(-0.018) and outcome["profit"] == pytest.approx(-0.018)


def test_a_down_prediction_ending_flat_fails_because_the_target_was_never_reached() -> None:
    bars = [(100.6, 99.2, 100.0), (100.4, 99.1, 99.8), (100.5, 99.6, 100.1), (100.4, 99.9, 100.2)]
    outcome = _evaluate(_prediction(correlation=-0.8), bars, now_after=timedelta(hours=4))
    assert outcome is not None
    assert (outcome["status"], outcome["reason"]) == ("failed", "target_not_reached")
    assert outcome["actual_move"] == pytest.approx(0.002) and outcome["profit"] == pytest.approx(-0.002)


def test_a_prediction_without_candles_stays_pending_until_deadline_plus_grace_then_expires_with_no_data() -> None:
    prediction = _prediction()
    assert _evaluate(prediction, [], now_after=timedelta(hours=4, minutes=59)) is None
    outcome = _evaluate(prediction, [], now_after=timedelta(hours=5))
    assert outcome is not None
    assert (outcome["status"], outcome["reason"], outcome["success"]) == ("expired", "no_data", False)
    assert outcome["actual_move"] is None and outcome["realized_return"] is None and outcome["candles_used"] == 0
    longer = PredictionConfig(grace_bars=3)
    assert _evaluate(prediction, [], now_after=timedelta(hours=6), config=longer) is None


def test_candles_before_creation_and_the_bar_running_at_creation_are_ignored() -> None:
    prediction = _prediction(created=timedelta(minutes=30))  # window 13:00–17:00
    bars = [(120.0, 80.0, 100.0), (130.0, 99.0, 100.0), (100.5, 99.5, 100.1)]  # 11:00, 12:00 (running), 13:00
    assert _evaluate(prediction, bars, now_after=timedelta(hours=2), start=timedelta(hours=-1)) is None
    before_only = [(130.0, 70.0, 100.0)] * 2  # 11:00 and 12:00 only
    outcome = _evaluate(prediction, before_only, now_after=timedelta(hours=6), start=timedelta(hours=-1))
    assert outcome is not None and outcome["reason"] == "no_data"


def test_a_candle_that_has_not_closed_yet_is_not_used() -> None:
    bars = [(100.5, 99.5, 100.0), (103.0, 99.5, 102.0)]
    assert _evaluate(_prediction(), bars, now_after=timedelta(hours=1, minutes=30)) is None
    assert _evaluate(_prediction(), bars, now_after=timedelta(hours=2)) is not None


def test_a_window_missing_its_last_candle_waits_for_the_grace_period_then_decides_on_what_arrived() -> None:
    bars = [(100.5, 99.5, 100.0), (100.6, 99.4, 99.9)]  # two of the four window candles
    assert _evaluate(_prediction(), bars, now_after=timedelta(hours=4, minutes=30)) is None
    outcome = _evaluate(_prediction(), bars, now_after=timedelta(hours=5))
    assert outcome is not None and outcome["reason"] == "target_not_reached" and outcome["candles_used"] == 2
    assert outcome["decided_candle"] == T0 + timedelta(hours=1)


def test_candles_after_the_deadline_or_of_other_coins_and_timeframes_do_not_count() -> None:
    late = candles(FOLLOWER, DEADLINE, [(150.0, 99.0, 140.0)])
    other_coin = candles(LEADER, T0, [(150.0, 99.0, 140.0)] * 4)
    other_tf = candles(FOLLOWER, T0, [(150.0, 99.0, 140.0)], timeframe=15)
    flat = candles(FOLLOWER, T0, [(100.5, 99.5, 100.0)] * 4)
    outcomes = evaluate_predictions(_prediction(), pl.concat([flat, late, other_coin, other_tf]),
                                    T0 + timedelta(hours=6))
    assert outcomes.select("status", "reason").rows() == [("failed", "target_not_reached")]


def test_only_pending_predictions_are_evaluated() -> None:
    done = _prediction().with_columns(pl.lit("confirmed").alias("status"))
    assert evaluate_predictions(done, candles(FOLLOWER, T0, [(110.0, 99.0, 105.0)]), T0 + timedelta(hours=5)).is_empty()
