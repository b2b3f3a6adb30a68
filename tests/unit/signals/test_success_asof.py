"""Point-in-time success rates: no look-ahead, the rolling 200 window and the regime fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from iris_assets.signals.success import success_asof

T0 = datetime(2024, 5, 1, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")


def _outcomes(rows: list[tuple[str, int, str | None, datetime, bool]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"slug": pl.String, "timeframe": pl.Int16, "regime": pl.String,
                                      "known_at": TS, "win": pl.Boolean}, orient="row")


def _queries(rows: list[tuple[str | None, int, str | None, datetime]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={"slug": pl.String, "timeframe": pl.Int16, "regime": pl.String,
                                       "timestamp": TS}, orient="row")
    return frame.with_columns(pl.int_range(pl.len()).alias("tag"))


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_an_outcome_known_after_the_query_time_is_not_used() -> None:
    outcomes = _outcomes([("bull_flag", 60, "bull_trend", _at(60), True),
                          ("bull_flag", 60, "bull_trend", _at(180), False)])
    queries = _queries([("bull_flag", 60, "bull_trend", _at(30)),    # nothing known yet
                        ("bull_flag", 60, "bull_trend", _at(60)),    # known_at == timestamp counts
                        ("bull_flag", 60, "bull_trend", _at(120)),   # the loss at +180 is still in the future
                        ("bull_flag", 60, "bull_trend", _at(180))])
    result = success_asof(outcomes, queries)
    assert result["success_rate"].to_list() == [None, 1.0, 1.0, 0.5]
    assert result["success_samples"].to_list() == [0, 1, 1, 2]
    assert result.schema["success_rate"] == pl.Float64


def test_the_rate_covers_only_the_last_200_known_outcomes() -> None:
    # outcome i known at +i minutes; wins exactly for 50 <= i < 200
    outcomes = _outcomes([("bull_flag", 60, "bull_trend", _at(i), 50 <= i < 200) for i in range(250)])
    queries = _queries([("bull_flag", 60, "bull_trend", _at(99)), ("bull_flag", 60, "bull_trend", _at(249))])
    result = success_asof(outcomes, queries)
    # at +99: outcomes 0..99, wins 50..99 -> 50/100
    # at +249: window = outcomes 50..249, wins 50..199 -> 150/200 (all history would give 150/250 = 0.6)
    assert result["success_rate"].to_list() == pytest.approx([0.5, 0.75])
    assert result["success_samples"].to_list() == [100, 200]


def test_a_smaller_window_is_honoured() -> None:
    outcomes = _outcomes([("x", 15, None, _at(i), i % 2 == 0) for i in range(5)])  # W L W L W
    result = success_asof(outcomes, _queries([("x", 15, None, _at(10))]), window=2)
    assert result.row(0, named=True)["success_rate"] == pytest.approx(0.5)  # last two: L W
    assert result.row(0, named=True)["success_samples"] == 2


def test_the_regime_scope_is_preferred_and_falls_back_to_all_regimes_pooled() -> None:
    outcomes = _outcomes([
        ("bull_flag", 60, "bull_trend", _at(10), True),
        ("bull_flag", 60, "bull_trend", _at(20), True),
        ("bull_flag", 60, "bear_trend", _at(30), False),
        ("bull_flag", 60, None, _at(40), False),  # no regime: pooled scope only
        ("bull_flag", 60, "sideways_range", _at(500), True),  # only known later
    ])
    queries = _queries([
        ("bull_flag", 60, "bull_trend", _at(100)),      # own scope: 2/2
        ("bull_flag", 60, "sideways_range", _at(100)),  # own scope not known yet -> pooled 2/4
        ("bull_flag", 60, None, _at(100)),              # no regime -> pooled
        ("bull_flag", 60, "all", _at(100)),             # explicit pooled scope
        ("bull_flag", 60, "sideways_range", _at(500)),  # own scope now known: 1/1
    ])
    result = success_asof(outcomes, queries)
    assert result["success_rate"].to_list() == pytest.approx([1.0, 0.5, 0.5, 0.5, 1.0])
    assert result["success_samples"].to_list() == [2, 4, 4, 4, 1]


def test_scopes_do_not_mix_slugs_or_timeframes_and_extra_columns_and_order_are_kept() -> None:
    outcomes = _outcomes([("bull_flag", 60, None, _at(0), True), ("bull_flag", 240, None, _at(0), False),
                          ("bear_flag", 60, None, _at(0), False)])
    queries = _queries([("bear_flag", 60, None, _at(5)), ("bull_flag", 240, None, _at(5)),
                        ("bull_flag", 60, None, _at(5)), ("double_top", 60, None, _at(5))])
    result = success_asof(outcomes, queries)
    assert result.columns == ["slug", "timeframe", "regime", "timestamp", "tag", "success_rate", "success_samples"]
    assert result["tag"].to_list() == [0, 1, 2, 3]
    assert result["success_rate"].to_list() == [0.0, 0.0, 1.0, None]


def test_outcomes_known_at_the_same_instant_all_count() -> None:
    outcomes = _outcomes([("x", 60, "bull_trend", _at(5), True), ("x", 60, "bull_trend", _at(5), False),
                          ("x", 60, "bull_trend", _at(5), True)])
    result = success_asof(outcomes, _queries([("x", 60, "bull_trend", _at(5))]))
    assert result.row(0, named=True)["success_rate"] == pytest.approx(2 / 3)
    assert result.row(0, named=True)["success_samples"] == 3


def test_no_outcomes_at_all_gives_null_rates() -> None:
    result = success_asof(_outcomes([]), _queries([("x", 60, "bull_trend", _at(5))]))
    assert result["success_rate"].to_list() == [None]
    assert result["success_samples"].to_list() == [0]


def test_a_query_without_slug_gets_no_rate() -> None:
    outcomes = _outcomes([("x", 60, None, _at(0), True)])
    result = success_asof(outcomes, _queries([(None, 60, None, _at(5)), ("x", 60, None, _at(5))]))
    assert result["success_rate"].to_list() == [None, 1.0]
