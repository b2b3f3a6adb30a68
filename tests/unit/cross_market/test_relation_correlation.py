"""Relation engine on hand-made series: exact correlations, lag semantics, gaps, thresholds, order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from iris_assets.cross_market import RelationConfig, compute_relations, lagged_correlations, max_lag_bars
from iris_assets.cross_market.relations import RELATION_SCHEMA, top_leaders
from tests.unit.cross_market.relation_builders import T0, closes_from_returns


def _pair(frame: pl.DataFrame, leader: int, follower: int) -> dict[str, Any]:
    rows = frame.filter((pl.col("leader_coin_id") == leader) & (pl.col("follower_coin_id") == follower))
    assert rows.height == 1
    return rows.row(0, named=True)


def test_the_lag_search_spans_eight_hours_capped_at_24_bars() -> None:
    assert [max_lag_bars(tf) for tf in (1, 15, 60, 240, 1440)] == [24, 24, 8, 2, 0]


def test_every_lagged_correlation_equals_numpy_corrcoef_on_the_rows_where_both_exist() -> None:
    rng = np.random.default_rng(3)
    returns = rng.standard_normal((120, 3)) * 0.01
    returns[:, 1] += 0.7 * np.roll(returns[:, 0], 2)
    returns[rng.choice(120, 15, replace=False), 0] = np.nan
    returns[rng.choice(120, 9, replace=False), 2] = np.nan
    corr, counts = lagged_correlations(returns, 4)
    for lag in range(5):
        for i in range(3):
            for j in range(3):
                x, y = returns[: 120 - lag, i], returns[lag:, j]
                both = np.isfinite(x) & np.isfinite(y)
                assert counts[lag, i, j] == both.sum()
                assert corr[lag, i, j] == pytest.approx(np.corrcoef(x[both], y[both])[0, 1], abs=1e-10)


def test_correlations_stay_within_minus_one_and_one_even_for_identical_and_mirrored_series() -> None:
    rng = np.random.default_rng(11)
    base = rng.standard_normal(200) * 0.02
    returns = np.column_stack([base, base, -base, rng.standard_normal(200) * 1e-3, base * 1e6])
    corr, _ = lagged_correlations(returns, 8)
    assert np.all(np.abs(corr) <= 1.0)
    assert corr[0, 0, 1] == pytest.approx(1.0, abs=1e-12)
    assert corr[0, 0, 2] == pytest.approx(-1.0, abs=1e-12)
    assert corr[0, 0, 4] == pytest.approx(1.0, abs=1e-12)


def test_a_constant_series_has_no_correlation_with_anything() -> None:
    rng = np.random.default_rng(5)
    returns = np.column_stack([np.full(100, 0.01), rng.standard_normal(100)])
    corr, counts = lagged_correlations(returns, 2)
    assert np.all(corr[:, 0, :] == 0.0) and np.all(corr[:, :, 0] == 0.0)
    assert counts[0, 0, 1] == 100


def test_the_leader_return_at_t_minus_lag_pairs_with_the_follower_return_at_t() -> None:
    rng = np.random.default_rng(8)
    leader = rng.standard_normal(260) * 0.01
    follower = np.concatenate([rng.standard_normal(3) * 0.01, leader[:-3]])  # follower(t) = leader(t − 3)
    relations = compute_relations(closes_from_returns({1: leader, 2: follower}), 60)
    forward = _pair(relations, 1, 2)
    assert forward["lag_bars"] == 3 and forward["lag_hours"] == 3.0
    assert forward["correlation"] == pytest.approx(1.0, abs=1e-9)
    backward = _pair(relations, 2, 1)
    assert abs(backward["correlation"]) < 0.3  # the follower does not lead its leader


def test_an_inverse_relation_keeps_its_negative_sign_and_its_confidence_follows_the_reference_formula() -> None:
    rng = np.random.default_rng(21)
    leader = rng.standard_normal(300) * 0.01
    follower = np.concatenate([np.zeros(2), -0.8 * leader[:-2]]) + rng.standard_normal(300) * 0.004
    relations = compute_relations(closes_from_returns({1: leader, 2: follower}), 60)
    row = _pair(relations, 1, 2)
    assert row["correlation"] < -0.8 and row["lag_bars"] == 2 and row["active"] is True
    assert row["sample_size"] == 199 - 2  # 200 candles → 199 returns, minus the lag
    assert row["confidence"] == pytest.approx(abs(row["correlation"]) * 197 / 200)


def test_relations_below_the_threshold_or_without_enough_pairs_are_inactive_with_zero_confidence() -> None:
    rng = np.random.default_rng(2)
    noise = {coin: rng.standard_normal(300) * 0.01 for coin in (1, 2)}
    short = {3: rng.standard_normal(40) * 0.01}
    relations = compute_relations(pl.concat([
        closes_from_returns(noise),
        closes_from_returns(short, start=T0 + timedelta(hours=260)),
    ]), 60)
    weak = _pair(relations, 1, 2)
    assert abs(weak["correlation"]) < 0.25 and weak["active"] is False and weak["confidence"] == 0.0
    thin = _pair(relations, 1, 3)
    assert thin["sample_size"] < 48 and thin["active"] is False and thin["correlation"] == 0.0


def test_a_coin_without_candles_in_the_window_still_gets_inactive_rows_instead_of_vanishing() -> None:
    rng = np.random.default_rng(4)
    recent = closes_from_returns({1: rng.standard_normal(300) * 0.01, 2: rng.standard_normal(300) * 0.01})
    stale = closes_from_returns({3: rng.standard_normal(20) * 0.01})
    relations = compute_relations(pl.concat([recent, stale]), 60)
    assert relations.filter(pl.col("follower_coin_id") == 3).height == 2
    assert relations.filter((pl.col("leader_coin_id") == 3) | (pl.col("follower_coin_id") == 3))["active"].sum() == 0


def test_the_output_has_the_relation_schema_and_every_ordered_pair_once() -> None:
    rng = np.random.default_rng(6)
    paths = {coin: rng.standard_normal(210) * 0.01 for coin in (4, 9, 7)}
    relations = compute_relations(closes_from_returns(paths, 240), 240)
    assert relations.schema == pl.Schema(RELATION_SCHEMA)
    assert sorted(zip(relations["leader_coin_id"], relations["follower_coin_id"], strict=True)) == [
        (4, 7), (4, 9), (7, 4), (7, 9), (9, 4), (9, 7)]
    assert set(relations["timeframe"]) == {240} and int(relations["lag_bars"].max()) <= 2  # type: ignore[arg-type]


def test_preferred_leaders_come_first_for_each_follower_in_config_order() -> None:
    rng = np.random.default_rng(9)
    driver = rng.standard_normal(300) * 0.01
    paths = {coin: driver + rng.standard_normal(300) * 0.003 * coin for coin in (1, 2, 3, 4)}
    config = RelationConfig(preferred_leaders=(3, 2))
    relations = compute_relations(closes_from_returns(paths), 60, config=config)
    leaders_of_1 = relations.filter(pl.col("follower_coin_id") == 1)["leader_coin_id"].to_list()
    assert leaders_of_1[:2] == [3, 2]
    assert top_leaders(relations, limit=1, preferred_leaders=(4,)).filter(
        pl.col("follower_coin_id") == 1)["leader_coin_id"].to_list() == [4]


def test_timestamps_off_the_timeframe_grid_or_duplicated_are_rejected() -> None:
    rng = np.random.default_rng(1)
    frame = closes_from_returns({1: rng.standard_normal(60) * 0.01})
    shifted = frame.with_columns(pl.when(pl.col("close") == pl.col("close").first())
                                 .then(pl.col("timestamp") + timedelta(minutes=5)).otherwise(pl.col("timestamp")))
    with pytest.raises(ValueError, match="grid"):
        compute_relations(shifted, 60)
    with pytest.raises(ValueError, match="duplicate"):
        compute_relations(pl.concat([frame, frame.tail(1)]), 60)
