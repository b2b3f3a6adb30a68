"""Predicates that read a time window of a series table along its (coin_id, timeframe, timestamp) key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, Table, any_, cast, func, select

from iris_resources.market_data.tables import coins
from iris_resources.market_data.timeframes import STORED_TIMEFRAMES


def series_window(table: Table, coin_ids: Sequence[int] | None, start: datetime,
                  end: datetime) -> tuple[ColumnElement[Any], ...]:
    """``table``'s rows of ``coin_ids`` (``None``: every coin) at every timeframe with time in ``[start, end)``.

    Every coin and stored timeframe is spelled out, so each (coin, timeframe) is one short range of the
    key. Filtered by coin and time alone, PostgreSQL either walks each coin's whole history in the key
    (the time is the key's third column) or, for many coins, scans the whole table: after a year of
    100 coins that is 4.6 M indicator rows read for a week of bars, and it grows with the history.
    """
    if coin_ids is None:
        every_coin = cast(select(func.array_agg(coins.c.id)).scalar_subquery(), ARRAY(Integer))
        in_coins = table.c.coin_id == any_(every_coin)
    else:
        in_coins = table.c.coin_id.in_(list(coin_ids))
    return (in_coins, table.c.timeframe.in_(STORED_TIMEFRAMES), table.c.timestamp >= start, table.c.timestamp < end)
