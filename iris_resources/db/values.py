"""Lists of values bound as SQL rows, for statements that walk an index per value."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ARRAY, Integer, Subquery, cast, func, literal, select


def integer_rows(values: Iterable[int], column: str, name: str) -> Subquery:
    """A one-column subquery ``name(column)`` holding each distinct value once (ascending), bound as
    one ``int[]`` parameter and unnested: a join source for a LATERAL read per value."""
    distinct = sorted({int(value) for value in values})
    return select(func.unnest(cast(literal(distinct), ARRAY(Integer))).label(column)).subquery(name)
