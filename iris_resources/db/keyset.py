"""Keyset pagination and small SQL helpers shared by the read-query services.

A page "after" a row continues from that row's sort key, bound as ``after_0, after_1, …``; the
statements are built once per filter combination and cached by the callers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, SmallInteger, bindparam, column, tuple_, values


def before(key: Sequence[Any]) -> ColumnElement[bool]:
    """``(key) < (after_0, after_1, …)``: the next page of a list sorted by ``key``, every column descending."""
    return tuple_(*key) < tuple_(*(bindparam(f"after_{i}") for i in range(len(key))))


def beyond(key: Sequence[Any]) -> ColumnElement[bool]:
    """``(key) > (after_0, after_1, …)``: the next page of a list sorted by ``key``, every column ascending."""
    return tuple_(*key) > tuple_(*(bindparam(f"after_{i}") for i in range(len(key))))


def after_values(after: Sequence[Any] | None) -> dict[str, Any]:
    """The bound values of a keyset (empty on the first page)."""
    return {f"after_{i}": value for i, value in enumerate(after)} if after is not None else {}


def page_params(limit: int | None, after: Sequence[Any] | None, **filters: Any) -> dict[str, Any]:
    """Bound values: the limit, the keyset and every filter that is not None."""
    params: dict[str, Any] = {} if limit is None else {"limit": limit}
    params.update(after_values(after))
    params.update({name: value for name, value in filters.items() if value is not None})
    return params


def upper_symbol(symbol: str | None) -> str | None:
    """A symbol as stored (trimmed, upper case)."""
    return symbol.strip().upper() if symbol is not None else None


def timeframe_values(timeframes: Iterable[int]) -> Any:
    """A ``VALUES`` list of timeframes named ``tfs`` (one row per timeframe to join against)."""
    return values(column("timeframe", SmallInteger), name="tfs").data([(tf,) for tf in timeframes])
