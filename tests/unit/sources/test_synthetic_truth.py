"""The synthetic market's planted structure: lead/lag pairs, regime phases, chart formations."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from iris_resources.sources.synthetic import SyntheticMarket
from iris_resources.sources.synthetic_truth import REGIMES, SyntheticTruth

ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 120
END = ORIGIN + timedelta(days=DAYS)
INDEPENDENT = ("BTCUSD", "LINKUSD", "FETUSD", "SOLUSD", "WIFUSD", "AAVEUSD", "DOTUSD", "MKRUSD")


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return SyntheticMarket(seed=7, n_coins=20)


@pytest.fixture(scope="module")
def candles(market: SyntheticMarket) -> pl.DataFrame:
    return market.fetch([coin.symbol for coin in market.universe()], ORIGIN, END).candles


@pytest.fixture(scope="module")
def truth(market: SyntheticMarket) -> SyntheticTruth:
    return market.ground_truth(END)


@pytest.fixture(scope="module")
def hourly(candles: pl.DataFrame) -> pl.DataFrame:
    """Hourly candles per symbol (epoch-aligned buckets), as a later resampler would build them."""
    return (
        candles.group_by("symbol", pl.col("timestamp").dt.truncate("1h").alias("hour"))
        .agg(pl.col("open").first(), pl.col("high").max(), pl.col("low").min(), pl.col("close").last())
        .sort("symbol", "hour")
    )


@pytest.fixture(scope="module")
def hourly_returns(hourly: pl.DataFrame) -> pl.DataFrame:
    """Hourly log returns, one column per symbol."""
    returns = hourly.with_columns(pl.col("close").log().diff().over("symbol").alias("r"))
    return returns.pivot(on="symbol", index="hour", values="r").sort("hour").slice(1)


def lagged_corr(returns: pl.DataFrame, leader: str, follower: str, lag: int, start: int, n: int) -> float:
    x = returns[leader].to_numpy()[start - lag : start - lag + n]
    y = returns[follower].to_numpy()[start : start + n]
    return float(np.corrcoef(x, y)[0, 1])


def test_at_least_three_pairs_one_of_them_inverse_exist_from_six_coins() -> None:
    relations = SyntheticMarket(n_coins=6).ground_truth().relations
    assert len(relations) >= 3
    assert any(relation.sign < 0 for relation in relations)
    assert all(relation.lag_bars % 4 == 0 for relation in relations)  # whole hours of 15m bars
    assert all(relation.lag_minutes == relation.lag_bars * 15 for relation in relations)


def test_planted_relations_show_on_hourly_returns_at_their_lag(
    truth: SyntheticTruth, hourly_returns: pl.DataFrame
) -> None:
    assert len(truth.relations) >= 5
    for relation in truth.relations:
        lag = relation.lag_minutes // 60
        for start in (24, 900, 2500):
            corr = lagged_corr(hourly_returns, relation.leader, relation.follower, lag, start, 200)
            assert relation.sign * corr >= 0.6, (relation, start, corr)
        # The relation peaks at the planted lag, not at a neighbouring one.
        by_lag = [
            relation.sign * lagged_corr(hourly_returns, relation.leader, relation.follower, k, 24, 200)
            for k in range(7)
        ]
        assert int(np.argmax(by_lag)) == lag


def test_unrelated_coins_stay_nearly_uncorrelated(hourly_returns: pl.DataFrame) -> None:
    for i, left in enumerate(INDEPENDENT):
        for right in INDEPENDENT[i + 1 :]:
            for lag in (0, 1, 3):
                corr = lagged_corr(hourly_returns, left, right, lag, 600, 500)
                assert abs(corr) < 0.2, (left, right, lag, corr)


def test_regime_phases_tile_time_with_the_shared_vocabulary(truth: SyntheticTruth) -> None:
    for symbol in ("BTCUSD", "ETHUSD", "DOGEUSD", "BRETTUSD"):
        phases = truth.regimes_for(symbol)
        assert phases[0].start == ORIGIN and phases[-1].end == END
        assert all(a.end == b.start for a, b in itertools.pairwise(phases))
        assert all(a.regime != b.regime for a, b in itertools.pairwise(phases))
        assert {phase.regime for phase in phases} <= set(REGIMES)
        assert all(phase.end - phase.start >= timedelta(days=3) for phase in phases[:-1])


def test_regime_labels_match_the_drift_and_volatility_of_their_phases(
    truth: SyntheticTruth, candles: pl.DataFrame
) -> None:
    for symbol in ("BTCUSD", "ETHUSD", "DOGEUSD", "SOLUSD", "BRETTUSD"):
        bars = candles.filter(pl.col("symbol") == symbol).with_columns(r=pl.col("close").log().diff())
        realised: dict[str, list[float]] = {regime: [] for regime in REGIMES}
        for phase in truth.regimes_for(symbol)[:-1]:
            window = bars.filter(pl.col("timestamp").is_between(phase.start, phase.end, closed="left"))
            days = (phase.end - phase.start) / timedelta(days=1)
            net_per_day = float(np.log(window["close"][-1] / window["open"][0])) / days
            vol = float(np.std(window["r"].drop_nulls().to_numpy(), ddof=1)) * np.sqrt(96)
            assert vol == pytest.approx(phase.volatility_per_day, rel=0.35), (symbol, phase)
            if phase.regime == "bull_trend":
                assert net_per_day > 0.5 * phase.volatility_per_day, (symbol, phase)
            elif phase.regime == "bear_trend":
                assert net_per_day < -0.5 * phase.volatility_per_day, (symbol, phase)
            else:
                assert abs(net_per_day) < 0.1 * phase.volatility_per_day, (symbol, phase)
            realised[phase.regime].append(vol)
        quiet, wild = np.mean(realised["low_volatility"]), np.mean(realised["high_volatility"])
        trending = np.mean(realised["bull_trend"] + realised["bear_trend"])
        assert wild > 1.5 * trending > 1.5 * 1.5 * quiet


def test_followers_inherit_their_leaders_phases_shifted_by_the_lag(truth: SyntheticTruth) -> None:
    swap = {"bull_trend": "bear_trend", "bear_trend": "bull_trend"}
    for relation in truth.relations:
        leader, follower = truth.regimes_for(relation.leader), truth.regimes_for(relation.follower)
        lag = timedelta(minutes=relation.lag_minutes)
        for lead, follow in zip(leader[1:-1], follower[1:-1], strict=False):
            assert follow.start == lead.start + lag
            expected = swap.get(lead.regime, lead.regime) if relation.sign < 0 else lead.regime
            assert follow.regime == expected


def test_formations_are_planted_on_whole_hours_inside_their_windows(truth: SyntheticTruth) -> None:
    patterns = {item.pattern for item in truth.formations}
    assert patterns >= {
        "double_top",
        "double_bottom",
        "head_and_shoulders",
        "inverse_head_and_shoulders",
        "ascending_triangle",
        "descending_triangle",
        "bull_flag",
    }
    followers = {relation.follower for relation in truth.relations}
    for item in truth.formations:
        assert item.symbol not in followers
        assert item.timeframe == 60 and item.direction in {"bullish", "bearish"}
        assert ORIGIN <= item.start < item.end < END
        assert item.start.minute == 0 and item.end.minute == 0
        assert (item.end - item.start) // timedelta(hours=1) + 1 == item.bars
        assert 40 <= item.bars <= 80
    for symbol in INDEPENDENT:
        planted = truth.formations_for(symbol)
        assert all(a.end < b.start for a, b in itertools.pairwise(planted))
        assert 2 * DAYS / 30 <= len(planted) <= 8 * DAYS / 30


def test_double_tops_and_head_and_shoulders_are_visible_on_hourly_closes(
    truth: SyntheticTruth, hourly: pl.DataFrame
) -> None:
    checked = 0
    for item in truth.formations:
        if item.pattern not in {
            "double_top",
            "double_bottom",
            "head_and_shoulders",
            "inverse_head_and_shoulders",
        }:
            continue
        inside = pl.col("hour").is_between(item.start, item.end)
        window = hourly.filter((pl.col("symbol") == item.symbol) & inside)
        assert window.height == item.bars
        flip = -1.0 if item.direction == "bullish" else 1.0  # mirror bottoms into tops
        level = flip * np.log(window["close"].to_numpy() / window["open"][0]) / item.amplitude
        body, breakout = level[:-1], level[-1]
        if item.pattern in {"double_top", "double_bottom"}:
            half = body.size // 2
            first, second = int(np.argmax(body[:half])), half + int(np.argmax(body[half:]))
            assert abs(body[first] - body[second]) < 0.15
            assert breakout < body[first:second].min()  # closes through the neckline
        else:
            head = int(np.argmax(body))
            left, right = int(0.25 * body.size), int(0.78 * body.size)  # shoulders sit outside these
            assert left < head < right
            assert body[head] - max(body[:left].max(), body[right:].max()) > 0.25
            assert breakout < body[left:right].min()  # closes through the neckline
        checked += 1
    assert checked >= 20
