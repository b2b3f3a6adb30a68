"""Exchange balance sync plan: upserts, zeroing of vanished assets, auto-watch both ways, bad input."""

from __future__ import annotations

import polars as pl
import pytest

from iris_assets.portfolio.balances import plan_balance_sync

THRESHOLD = 100.0


def _current(*rows: tuple[str, float, float]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows), schema={"symbol": pl.String, "balance": pl.Float64, "value_usd": pl.Float64}, orient="row"
    )


def _watched(*rows: tuple[str, bool, bool]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows), schema={"symbol": pl.String, "auto_watch_enabled": pl.Boolean, "enabled": pl.Boolean}, orient="row"
    )


def test_fetched_rows_are_upserted_upper_cased_and_blank_symbols_skipped() -> None:
    plan = plan_balance_sync(
        _current(("BTC", 1.0, 500.0)),
        [
            {"symbol": " btc ", "balance": "2", "value_usd": 500.0},
            {"symbol": "eth", "balance": 3, "value_usd": "240"},
            {"symbol": "  ", "balance": 1, "value_usd": 1},
            {"symbol": None, "balance": "x", "value_usd": 1},
        ],
        _watched(("BTC", False, True)),
        THRESHOLD,
    )
    assert plan.upserts.select("symbol", "balance", "value_usd", "previous_value", "changed", "missing").rows() == [
        ("BTC", 2.0, 500.0, 500.0, True, False),  # units moved, value did not
        ("ETH", 3.0, 240.0, 0.0, True, False),
    ]
    assert plan.new_symbols == ("ETH",)


def test_an_unchanged_holding_is_upserted_but_not_flagged_changed() -> None:
    plan = plan_balance_sync(
        _current(("BTC", 2.0, 500.0)),
        [{"symbol": "BTC", "balance": 2.0, "value_usd": 500.0}],
        _watched(("BTC", True, True)),
        THRESHOLD,
    )
    assert plan.upserts.get_column("changed").to_list() == [False]
    assert plan.enable_watch == () and plan.disable_watch == ()


def test_assets_missing_from_the_fetch_are_zeroed() -> None:
    plan = plan_balance_sync(
        _current(("BTC", 1.0, 500.0), ("DOGE", 10.0, 3.0), ("OLD", 0.0, 0.0)),
        [{"symbol": "BTC", "balance": 1.0, "value_usd": 510.0}],
        _watched(),
        THRESHOLD,
    )
    zeroed = plan.upserts.filter(pl.col("missing"))
    assert zeroed.select("symbol", "balance", "value_usd", "previous_value", "changed").rows() == [
        ("DOGE", 0.0, 0.0, 3.0, True),
    ]  # OLD was already zero: nothing to write


def test_auto_watch_enables_above_the_threshold_and_disables_only_its_own_coins_below_it() -> None:
    plan = plan_balance_sync(
        _current(("SOL", 5.0, 800.0), ("ADA", 100.0, 90.0)),
        [
            {"symbol": "NEW", "balance": 1, "value_usd": 420},  # unknown coin worth 420: created and watched
            {"symbol": "XRP", "balance": 1, "value_usd": 100},  # exactly at the threshold: watched
            {"symbol": "DOT", "balance": 1, "value_usd": 99.99},  # auto-watched, now below: un-watched
            {"symbol": "LINK", "balance": 1, "value_usd": 5},  # enabled by hand: left alone
            {"symbol": "ADA", "balance": 100, "value_usd": 150},  # already auto-watched and enabled
        ],
        _watched(
            ("XRP", False, False),
            ("DOT", True, True),
            ("LINK", False, True),
            ("ADA", True, True),
            ("SOL", True, True),
            ("BNB", True, True),
        ),
        THRESHOLD,
    )
    assert plan.enable_watch == ("NEW", "XRP")
    assert plan.disable_watch == ("BNB", "DOT", "SOL")  # SOL vanished from the fetch, BNB holds nothing
    assert plan.new_symbols == ("NEW",)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"symbol": "btc", "balance": "abc", "value_usd": 1.0}, "BTC: balance='abc'"),
        ({"symbol": "ETH", "balance": 1.0, "value_usd": None}, "ETH: value_usd=None"),
        ({"symbol": "SOL", "balance": 1.0}, "SOL: value_usd=None"),
        ({"symbol": "ADA", "balance": True, "value_usd": 1.0}, "ADA: balance=True"),
        ({"symbol": "DOT", "balance": "nan", "value_usd": 1.0}, "DOT: balance='nan' must be a finite"),
        ({"symbol": "XRP", "balance": 1.0, "value_usd": -5}, "XRP: value_usd=-5 must be"),
    ],
)
def test_unparseable_numbers_are_rejected_naming_the_symbol_and_field(row: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_balance_sync(_current(), [row], _watched(), THRESHOLD)


def test_a_symbol_reported_twice_is_rejected() -> None:
    rows = [{"symbol": "BTC", "balance": 1, "value_usd": 1}, {"symbol": "btc", "balance": 2, "value_usd": 2}]
    with pytest.raises(ValueError, match="BTC reported twice"):
        plan_balance_sync(_current(), rows, _watched(), THRESHOLD)


def test_an_empty_fetch_zeroes_everything_and_unwatches_auto_watched_coins() -> None:
    plan = plan_balance_sync(_current(("BTC", 1.0, 500.0)), [], _watched(("BTC", True, True)), THRESHOLD)
    assert plan.upserts.select("symbol", "balance", "missing").rows() == [("BTC", 0.0, True)]
    assert plan.disable_watch == ("BTC",) and plan.enable_watch == ()
