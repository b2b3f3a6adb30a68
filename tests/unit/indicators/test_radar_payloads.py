"""Market radar and market flow projections (reference 3.14 with DECISIONS.md 7 and 20)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import polars as pl

from iris_assets.indicators.radar import flow_payload, newest_timestamp, radar_payload

T0 = datetime(2024, 9, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
PRIMARY_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "symbol": pl.String(),
    "name": pl.String(),
    "activity_score": pl.Float64(),
    "activity_bucket": pl.String(),
    "analysis_priority": pl.Int16(),
    "price_change_24h_pct": pl.Float64(),
    "price_change_7d_pct": pl.Float64(),
    "volatility": pl.Float64(),
    "volatility_annualized": pl.Float64(),
    "market_regime": pl.String(),
    "updated_at": pl.Datetime("us", "UTC"),
}
CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timeframe": pl.Int16(),
    "timestamp": pl.Datetime("us", "UTC"),
    "regime": pl.String(),
    "previous_regime": pl.String(),
    "confidence": pl.Float64(),
}
LEADERS_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timeframe": pl.Int16(),
    "timestamp": pl.Datetime("us", "UTC"),
    "direction": pl.String(),
    "confidence": pl.Float64(),
    "price_change_24h_pct": pl.Float64(),
    "volume_change_24h_pct": pl.Float64(),
    "market_regime": pl.String(),
}
ROTATIONS_SCHEMA: dict[str, pl.DataType] = {
    "source_sector": pl.String(),
    "target_sector": pl.String(),
    "timeframe": pl.Int16(),
    "timestamp": pl.Datetime("us", "UTC"),
    "strength": pl.Float64(),
}
PRIORITY = {"HOT": 100, "WARM": 70, "COLD": 30, "DEAD": 5}


def coin(coin_id: int, symbol: str, bucket: str, score: float | None, **values: object) -> dict[str, object]:
    """A primary coin_metrics row joined to symbol and name; an ordinary emerging candidate unless overridden."""
    row: dict[str, object] = {
        "coin_id": coin_id,
        "symbol": symbol,
        "name": f"{symbol} coin",
        "activity_score": score,
        "activity_bucket": bucket,
        "analysis_priority": PRIORITY[bucket],
        "price_change_24h_pct": 1.0,
        "price_change_7d_pct": 1.0,
        "volatility": 0.01,
        "volatility_annualized": 0.5,
        "market_regime": "bull_trend",
        "updated_at": T0,
    }
    row.update(values)
    return row


def primary(*rows: Mapping[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=PRIMARY_SCHEMA)


def coins(*ids: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "coin_id": list(ids),
            "symbol": [f"S{i}" for i in ids],
            "name": [f"Coin {i}" for i in ids],
            "sector": [f"sector_{i % 2}" for i in ids],
        },
        schema={"coin_id": pl.Int32, "symbol": pl.String, "name": pl.String, "sector": pl.String},
    )


NO_CHANGES = pl.DataFrame(schema=CHANGES_SCHEMA)


def symbols(items: list[dict[str, object]]) -> list[object]:
    return [item["symbol"] for item in items]


# --- radar ------------------------------------------------------------------------------------------------


def test_hot_coins_are_hot_only_ordered_by_score_then_symbol() -> None:
    frame = primary(
        coin(1, "BBB", "HOT", 80.0),
        coin(2, "AAA", "HOT", 80.0),
        coin(3, "CCC", "HOT", 95.0),
        coin(4, "DDD", "WARM", 99.0),
        coin(5, "EEE", "COLD", 20.0),
    )

    result = radar_payload(frame, NO_CHANGES, coins(), limit=10)

    assert symbols(result["hot_coins"]) == ["CCC", "AAA", "BBB"]


def test_coin_items_carry_the_metrics_fields_with_iso_timestamps() -> None:
    frame = primary(
        coin(
            1,
            "BTC",
            "HOT",
            88.5,
            price_change_24h_pct=3.5,
            price_change_7d_pct=-1.0,
            volatility=0.02,
            volatility_annualized=1.9,
            market_regime="high_volatility",
        )
    )

    result = radar_payload(frame, NO_CHANGES, coins(), limit=10)

    assert result["hot_coins"] == [
        {
            "coin_id": 1,
            "symbol": "BTC",
            "name": "BTC coin",
            "activity_score": 88.5,
            "activity_bucket": "HOT",
            "analysis_priority": 100,
            "price_change_24h_pct": 3.5,
            "price_change_7d_pct": -1.0,
            "volatility": 0.02,
            "volatility_annualized": 1.9,
            "market_regime": "high_volatility",
            "updated_at": "2024-09-01T12:00:00Z",
        }
    ]


def test_emerging_coins_apply_every_filter() -> None:
    frame = primary(
        coin(1, "OK_HOT", "HOT", 90.0),
        coin(2, "OK_WARM", "WARM", 50.0, market_regime="sideways_range", price_change_7d_pct=0.0),
        coin(3, "OK_VOLATILE", "WARM", 45.0, market_regime="high_volatility"),
        coin(4, "COLD", "COLD", 30.0),
        coin(5, "FLAT_DAY", "HOT", 90.0, price_change_24h_pct=0.0),
        coin(6, "DOWN_WEEK", "HOT", 90.0, price_change_7d_pct=-0.1),
        coin(7, "BEAR", "HOT", 90.0, market_regime="bear_trend"),
        coin(8, "QUIET", "WARM", 45.0, market_regime="low_volatility"),
        coin(9, "NO_REGIME", "WARM", 45.0, market_regime=None),
        coin(10, "NO_CHANGE", "WARM", 45.0, price_change_24h_pct=None),
        coin(11, "NO_WEEK", "WARM", 45.0, price_change_7d_pct=None),
    )

    result = radar_payload(frame, NO_CHANGES, coins(), limit=20)

    assert symbols(result["emerging_coins"]) == ["OK_HOT", "OK_WARM", "OK_VOLATILE"]


def test_emerging_coins_order_by_score_then_24h_change_then_symbol() -> None:
    frame = primary(
        coin(1, "D", "WARM", 50.0, price_change_24h_pct=1.0),
        coin(2, "C", "WARM", 50.0, price_change_24h_pct=5.0),
        coin(3, "B", "WARM", 50.0, price_change_24h_pct=1.0),
        coin(4, "A", "HOT", 75.0, price_change_24h_pct=0.5),
    )

    result = radar_payload(frame, NO_CHANGES, coins(), limit=10)

    assert symbols(result["emerging_coins"]) == ["A", "C", "B", "D"]


def test_volatility_spikes_skip_dead_and_unknown_volatility_and_rank_by_annualised_volatility() -> None:
    frame = primary(
        coin(1, "LOW", "HOT", 80.0, volatility=0.01, volatility_annualized=0.9, market_regime="sideways_range"),
        coin(2, "HIGH", "COLD", 20.0, volatility=0.02, volatility_annualized=1.8, market_regime="bear_trend"),
        coin(3, "TIE_B", "WARM", 50.0, volatility=0.01, volatility_annualized=1.2, market_regime="bull_trend"),
        coin(4, "TIE_A", "WARM", 50.0, volatility=0.01, volatility_annualized=1.2, market_regime="low_volatility"),
        coin(5, "DEAD", "DEAD", 1.0, volatility=0.09, volatility_annualized=9.0),
        coin(6, "UNKNOWN", "HOT", 90.0, volatility=None, volatility_annualized=None),
    )

    result = radar_payload(frame, NO_CHANGES, coins(), limit=10)

    assert symbols(result["volatility_spikes"]) == ["HIGH", "TIE_A", "TIE_B", "LOW"]


def test_regime_changes_are_newest_first_and_unknown_coins_get_placeholders() -> None:
    changes = pl.DataFrame(
        [
            {
                "coin_id": 1,
                "timeframe": 60,
                "timestamp": T0 - HOUR,
                "regime": "bull_trend",
                "previous_regime": "sideways_range",
                "confidence": 0.87,
            },
            {
                "coin_id": 99,
                "timeframe": 15,
                "timestamp": T0,
                "regime": "bear_trend",
                "previous_regime": None,
                "confidence": 0.9,
            },
            {
                "coin_id": 2,
                "timeframe": 240,
                "timestamp": T0 - 2 * HOUR,
                "regime": "low_volatility",
                "previous_regime": "bull_trend",
                "confidence": 0.78,
            },
        ],
        schema=CHANGES_SCHEMA,
    )

    result = radar_payload(primary(coin(1, "S1", "HOT", 80.0)), changes, coins(1, 2), limit=10)

    assert result["regime_changes"] == [
        {
            "coin_id": 99,
            "symbol": "UNKNOWN",
            "name": "Unknown",
            "timeframe": 15,
            "regime": "bear_trend",
            "previous_regime": None,
            "confidence": 0.9,
            "timestamp": "2024-09-01T12:00:00Z",
        },
        {
            "coin_id": 1,
            "symbol": "S1",
            "name": "Coin 1",
            "timeframe": 60,
            "regime": "bull_trend",
            "previous_regime": "sideways_range",
            "confidence": 0.87,
            "timestamp": "2024-09-01T11:00:00Z",
        },
        {
            "coin_id": 2,
            "symbol": "S2",
            "name": "Coin 2",
            "timeframe": 240,
            "regime": "low_volatility",
            "previous_regime": "bull_trend",
            "confidence": 0.78,
            "timestamp": "2024-09-01T10:00:00Z",
        },
    ]


def test_every_radar_list_respects_the_limit() -> None:
    frame = primary(*(coin(i, f"C{i:02d}", "HOT", 100.0 - i) for i in range(1, 13)))
    changes = pl.DataFrame(
        [
            {
                "coin_id": i,
                "timeframe": 60,
                "timestamp": T0 - i * HOUR,
                "regime": "bull_trend",
                "previous_regime": None,
                "confidence": 0.8,
            }
            for i in range(1, 13)
        ],
        schema=CHANGES_SCHEMA,
    )

    result = radar_payload(frame, changes, coins(*range(1, 13)), limit=3)

    assert symbols(result["hot_coins"]) == ["C01", "C02", "C03"]
    assert symbols(result["emerging_coins"]) == ["C01", "C02", "C03"]
    assert len(result["volatility_spikes"]) == 3
    assert [item["coin_id"] for item in result["regime_changes"]] == [1, 2, 3]
    assert set(result) == {"hot_coins", "emerging_coins", "regime_changes", "volatility_spikes"}


# --- flow ---------------------------------------------------------------------------------------------


def leader(coin_id: int, hours_ago: int, confidence: float = 0.6, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "coin_id": coin_id,
        "timeframe": 60,
        "timestamp": T0 - hours_ago * HOUR,
        "direction": "up",
        "confidence": confidence,
        "price_change_24h_pct": 3.0,
        "volume_change_24h_pct": 20.0,
        "market_regime": "bull_trend",
    }
    row.update(values)
    return row


def rotation(source: str, target: str, timeframe: int, hours_ago: int, strength: float = 1.0) -> dict[str, object]:
    return {
        "source_sector": source,
        "target_sector": target,
        "timeframe": timeframe,
        "timestamp": T0 - hours_ago * HOUR,
        "strength": strength,
    }


NO_ROTATIONS = pl.DataFrame(schema=ROTATIONS_SCHEMA)
NO_LEADERS = pl.DataFrame(schema=LEADERS_SCHEMA)


def test_leaders_are_deduplicated_per_coin_with_the_newest_winning() -> None:
    leaders = pl.DataFrame(
        [leader(1, 5, 0.5, direction="down", market_regime="bear_trend"), leader(1, 1, 0.9), leader(1, 3, 0.7)],
        schema=LEADERS_SCHEMA,
    )

    result = flow_payload(leaders, NO_ROTATIONS, coins(1), limit=10)

    assert result["leaders"] == [
        {
            "leader_coin_id": 1,
            "symbol": "S1",
            "name": "Coin 1",
            "sector": "sector_1",
            "direction": "up",
            "regime": "bull_trend",
            "confidence": 0.9,
            "price_change_24h_pct": 3.0,
            "volume_change_24h_pct": 20.0,
            "timestamp": "2024-09-01T11:00:00Z",
        }
    ]
    assert (result["relations"], result["sectors"]) == ([], [])


def test_leaders_of_unknown_coins_are_dropped() -> None:
    leaders = pl.DataFrame([leader(1, 2), leader(42, 1)], schema=LEADERS_SCHEMA)

    result = flow_payload(leaders, NO_ROTATIONS, coins(1), limit=10)

    assert [item["leader_coin_id"] for item in result["leaders"]] == [1]


def test_leaders_are_newest_first_and_the_limit_keeps_the_newest() -> None:
    leaders = pl.DataFrame([leader(3, 1), leader(1, 2), leader(2, 3)], schema=LEADERS_SCHEMA)

    result = flow_payload(leaders, NO_ROTATIONS, coins(1, 2, 3), limit=2)

    assert [item["leader_coin_id"] for item in result["leaders"]] == [3, 1]


def test_rotations_are_deduplicated_per_source_target_and_timeframe() -> None:
    rotations = pl.DataFrame(
        [
            rotation("defi", "ai", 60, 5, strength=0.1),
            rotation("defi", "ai", 60, 1, strength=0.9),
            rotation("defi", "ai", 240, 4, strength=0.4),
            rotation("ai", "defi", 60, 2, strength=0.2),
            rotation("ai", "defi", 60, 3, strength=0.3),
        ],
        schema=ROTATIONS_SCHEMA,
    )

    result = flow_payload(NO_LEADERS, rotations, coins(), limit=10)

    assert result["rotations"] == [
        {
            "source_sector": "defi",
            "target_sector": "ai",
            "timeframe": 60,
            "timestamp": "2024-09-01T11:00:00Z",
            "strength": 0.9,
        },
        {
            "source_sector": "ai",
            "target_sector": "defi",
            "timeframe": 60,
            "timestamp": "2024-09-01T10:00:00Z",
            "strength": 0.2,
        },
        {
            "source_sector": "defi",
            "target_sector": "ai",
            "timeframe": 240,
            "timestamp": "2024-09-01T08:00:00Z",
            "strength": 0.4,
        },
    ]


def test_rotations_respect_the_limit_after_deduplication() -> None:
    rotations = pl.DataFrame(
        [rotation("a", "b", 60, 1), rotation("a", "b", 60, 2), rotation("b", "c", 60, 3), rotation("c", "d", 60, 4)],
        schema=ROTATIONS_SCHEMA,
    )

    result = flow_payload(NO_LEADERS, rotations, coins(), limit=2)

    assert [(r["source_sector"], r["target_sector"]) for r in result["rotations"]] == [("a", "b"), ("b", "c")]


def test_empty_inputs_give_empty_flow_lists() -> None:
    result = flow_payload(NO_LEADERS, NO_ROTATIONS, coins(1), limit=5)

    assert result == {"leaders": [], "relations": [], "sectors": [], "rotations": []}


# --- newest_timestamp -------------------------------------------------------------------------------------


def test_newest_timestamp_is_the_latest_across_frames() -> None:
    metrics = pl.DataFrame({"updated_at": [T0 - HOUR, T0]})
    changes = pl.DataFrame({"timestamp": [T0 + HOUR, T0 - 2 * HOUR]})

    assert newest_timestamp((metrics, "updated_at"), (changes, "timestamp")) == T0 + HOUR


def test_newest_timestamp_skips_empty_frames_missing_columns_and_nulls() -> None:
    empty = pl.DataFrame(schema={"timestamp": pl.Datetime("us", "UTC")})
    missing = pl.DataFrame({"other": [1]})
    nulls = pl.DataFrame({"timestamp": [None]}, schema={"timestamp": pl.Datetime("us", "UTC")})
    present = pl.DataFrame({"updated_at": [T0]})

    assert newest_timestamp((empty, "timestamp"), (missing, "timestamp"), (nulls, "timestamp")) is None
    assert newest_timestamp((empty, "timestamp"), (present, "updated_at"), (missing, "timestamp")) == T0
    assert newest_timestamp() is None
