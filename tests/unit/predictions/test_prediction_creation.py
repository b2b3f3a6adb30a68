"""Creating predictions from leader moves: direction by sign, target, window, confidence, no duplicates."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from iris_assets.predictions import PREDICTION_COLUMNS, PredictionConfig, create_predictions
from tests.unit.predictions.prediction_builders import FOLLOWER, LEADER, T0, moves, prices, relation, relations


def test_a_leader_breakout_creates_one_pending_follow_through_with_target_window_and_confidence() -> None:
    created = create_predictions(moves((LEADER, "up", 0.8, 5.0, T0)), relations(relation()), prices(c2=100.0))
    assert created.columns == list(PREDICTION_COLUMNS) and created.height == 1
    row = created.row(0, named=True)
    assert (row["prediction_event"], row["expected_move"], row["status"]) == ("leader_breakout", "up", "pending")
    assert row["expected_magnitude"] == pytest.approx(0.8 * 5.0 / 100)
    assert row["target_price"] == pytest.approx(101.5) and row["success_threshold"] == 0.015
    assert (row["lag_bars"], row["window_bars"]) == (4, 4)
    assert row["created_at"] == T0 and row["deadline"] == T0 + timedelta(hours=4)
    assert row["confidence"] == pytest.approx(0.8 * 0.78)


def test_an_inverse_relation_predicts_the_opposite_move_with_a_target_below_entry() -> None:
    created = create_predictions(moves((LEADER, "up", 0.9, 4.0, T0)),
                                 relations(relation(correlation=-0.7, confidence=0.6)), prices(c2=50.0))
    row = created.row(0, named=True)
    assert row["expected_move"] == "down" and row["prediction_event"] == "leader_breakout"
    assert row["target_price"] == pytest.approx(50.0 * 0.985)
    assert row["confidence"] == pytest.approx(0.9 * 0.6)


def test_a_lag_of_zero_still_gets_a_one_bar_window_and_a_weak_relation_is_floored_at_055() -> None:
    created = create_predictions(moves((LEADER, "down", 0.5, -3.0, T0)),
                                 relations(relation(lag_bars=0, confidence=0.5, timeframe=240)), prices(c2=10.0))
    row = created.row(0, named=True)
    assert row["window_bars"] == 1 and row["deadline"] == T0 + timedelta(hours=4)
    assert row["expected_move"] == "down" and row["prediction_event"] == "leader_breakdown"
    assert row["confidence"] == pytest.approx(0.35)  # 0.5 × max(0.5, 0.55) = 0.275, clamped up to 0.35


def test_a_creation_inside_a_bar_starts_the_window_at_the_next_bar() -> None:
    created = create_predictions(moves((LEADER, "up", 0.8, 5.0, T0 + timedelta(minutes=7))),
                                 relations(relation(lag_bars=2)), prices(c2=100.0))
    assert created["deadline"].to_list() == [T0 + timedelta(hours=3)]


def test_the_success_threshold_is_configurable_per_timeframe() -> None:
    config = PredictionConfig(success_thresholds={240: 0.03})
    created = create_predictions(
        moves((LEADER, "up", 0.8, 5.0, T0)),
        relations(relation(timeframe=60), relation(timeframe=240)), prices(c2=100.0), config=config)
    by_tf = dict(zip(created["timeframe"], created["target_price"], strict=True))
    assert by_tf == pytest.approx({60: 101.5, 240: 103.0})


def test_inactive_weak_and_unpriced_relations_create_nothing_and_at_most_eight_followers_are_used() -> None:
    rows = [relation(follower=f, confidence=0.5 + f / 100) for f in range(10, 20)]
    rows += [relation(follower=3, confidence=0.49), relation(follower=4, active=False), relation(follower=5)]
    created = create_predictions(moves((LEADER, "up", 0.8, 5.0, T0)), relations(*rows),
                                 prices(**{f"c{f}": 1.0 for f in (3, 4, *range(10, 20))}))
    assert sorted(created["follower_coin_id"]) == list(range(12, 20))  # the 8 most confident


def test_no_duplicate_while_a_prediction_is_pending_for_the_same_leader_follower_and_timeframe() -> None:
    rel = relations(relation(timeframe=60), relation(timeframe=240))
    first = create_predictions(moves((LEADER, "up", 0.8, 5.0, T0)), rel, prices(c2=100.0))
    stored = first.filter(pl.col("timeframe") == 60)
    again = create_predictions(moves((LEADER, "down", 0.8, -5.0, T0 + timedelta(hours=1))), rel, prices(c2=100.0),
                               pending=stored)
    assert again["timeframe"].to_list() == [240]
    resolved = stored.with_columns(pl.lit("confirmed").alias("status"))
    assert create_predictions(moves((LEADER, "up", 0.8, 5.0, T0)), rel, prices(c2=100.0), pending=resolved).height == 2


def test_two_moves_of_one_leader_in_a_batch_create_one_prediction_from_the_earlier() -> None:
    created = create_predictions(
        moves((LEADER, "down", 0.9, -4.0, T0 + timedelta(hours=1)), (LEADER, "up", 0.8, 5.0, T0)),
        relations(relation()), prices(c2=100.0))
    assert created.select("follower_coin_id", "expected_move", "created_at").rows() == [(FOLLOWER, "up", T0)]


def test_an_unknown_direction_is_rejected() -> None:
    with pytest.raises(ValueError, match="direction"):
        create_predictions(moves((LEADER, "sideways", 0.8, 5.0, T0)), relations(relation()), prices(c2=100.0))
