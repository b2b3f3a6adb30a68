"""The relation engine recovers the synthetic market's planted lead/lag pairs on resampled 1h candles."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from iris_assets.cross_market import compute_relations
from tests.unit.cross_market.relation_builders import T0, synthetic_hourly

DAYS = 30
PREDICTION_FLOOR = 0.5  # relations below this confidence never spawn predictions (spec §3)
AS_OF = (T0 + timedelta(days=DAYS) - timedelta(hours=1), T0 + timedelta(days=20), T0 + timedelta(days=12))


@pytest.fixture(scope="module")
def market_hourly() -> tuple[pl.DataFrame, dict[str, int], list[tuple[int, int, int, int]]]:
    hourly, ids, market = synthetic_hourly(n_coins=20, days=DAYS)
    planted = [(ids[r.leader], ids[r.follower], r.lag_minutes // 60, r.sign) for r in market.ground_truth().relations]
    return hourly, ids, planted


def _pair(relations: pl.DataFrame, leader: int, follower: int) -> dict[str, Any]:
    return relations.filter((pl.col("leader_coin_id") == leader) & (pl.col("follower_coin_id") == follower)).row(
        0, named=True)


@pytest.mark.parametrize("as_of", AS_OF)
def test_every_planted_pair_is_found_with_its_lag_in_hours_and_its_sign(
    market_hourly: tuple[pl.DataFrame, dict[str, int], list[tuple[int, int, int, int]]], as_of: datetime
) -> None:
    hourly, _, planted = market_hourly
    relations = compute_relations(hourly, 60, as_of=as_of)
    assert len(planted) == 5 and {sign for *_, sign in planted} == {1, -1}
    for leader, follower, lag_hours, sign in planted:
        row = _pair(relations, leader, follower)
        assert row["active"] is True, row
        assert row["lag_hours"] == lag_hours and row["lag_bars"] == lag_hours, row
        assert np.sign(row["correlation"]) == sign and abs(row["correlation"]) > 0.7, row
        assert row["confidence"] >= 0.7, row


@pytest.mark.parametrize("as_of", AS_OF)
def test_no_unrelated_pair_is_active_above_the_prediction_confidence_floor(
    market_hourly: tuple[pl.DataFrame, dict[str, int], list[tuple[int, int, int, int]]], as_of: datetime
) -> None:
    hourly, ids, planted = market_hourly
    relations = compute_relations(hourly, 60, as_of=as_of)
    assert relations.height == len(ids) * (len(ids) - 1)
    strong = relations.filter(pl.col("active") & (pl.col("confidence") >= PREDICTION_FLOOR))
    found = set(zip(strong["leader_coin_id"], strong["follower_coin_id"], strict=True))
    assert found == {(leader, follower) for leader, follower, *_ in planted}


def _hourly_returns(hourly: pl.DataFrame) -> pl.DataFrame:
    """Returns joined on timestamp: a return exists only when the previous hour's close exists."""
    previous = hourly.select("coin_id", (pl.col("timestamp") + timedelta(hours=1)).alias("timestamp"),
                             pl.col("close").alias("previous"))
    return hourly.join(previous, on=["coin_id", "timestamp"]).select(
        "coin_id", "timestamp", (pl.col("close") / pl.col("previous") - 1).alias("r"))


def test_dropped_bars_leave_the_timestamp_joined_relation_intact_where_a_positional_join_breaks(
    market_hourly: tuple[pl.DataFrame, dict[str, int], list[tuple[int, int, int, int]]]
) -> None:
    hourly, ids, _ = market_hourly
    leader, follower, lag = ids["BTCUSD"], ids["ETHUSD"], 1
    as_of = AS_OF[0]
    window = hourly.filter(pl.col("timestamp") > as_of - timedelta(hours=200))
    dropped = np.random.default_rng(12).choice(window.filter(pl.col("coin_id") == follower)["timestamp"].to_list()[
        :-1], 12, replace=False)
    gappy = hourly.filter(~((pl.col("coin_id") == follower) & pl.col("timestamp").is_in(list(dropped))))

    clean = _pair(compute_relations(hourly, 60, as_of=as_of), leader, follower)
    holed = _pair(compute_relations(gappy, 60, as_of=as_of), leader, follower)
    assert holed["active"] is True and holed["lag_bars"] == lag
    assert holed["correlation"] == pytest.approx(clean["correlation"], abs=0.05)
    assert clean["sample_size"] - 24 <= holed["sample_size"] < clean["sample_size"]  # ≤ 2 returns lost per bar

    # Independent check: an explicit Polars join on timestamp gives the same number.
    returns = _hourly_returns(gappy)
    first = as_of - timedelta(hours=198)
    lead = returns.filter(pl.col("coin_id") == leader).select(
        (pl.col("timestamp") + timedelta(hours=lag)).alias("timestamp"), pl.col("r").alias("x"))
    paired = returns.filter((pl.col("coin_id") == follower) & (pl.col("timestamp") >= first + timedelta(hours=lag))
                            & (pl.col("timestamp") <= as_of)).join(lead, on="timestamp")
    assert paired.height == holed["sample_size"]
    assert holed["correlation"] == pytest.approx(np.corrcoef(paired["x"], paired["r"])[0, 1], abs=1e-9)

    # The reference's positional alignment (last N returns of each coin, tail-aligned) gets it wrong.
    def tail_returns(coin: int) -> np.ndarray:
        closes = gappy.filter((pl.col("coin_id") == coin) & (pl.col("timestamp") <= as_of))["close"].to_numpy()[-200:]
        return np.diff(closes) / closes[:-1]

    x, y = tail_returns(leader), tail_returns(follower)
    size = min(x.size, y.size)
    x, y = x[-size:], y[-size:]
    positional = np.corrcoef(x[: size - lag], y[lag:])[0, 1]
    assert positional < 0.5 < holed["correlation"]
