"""Read a Core ``SELECT`` into a Polars frame through ``COPY … TO STDOUT`` (CSV) instead of row tuples.

Measured on 666k rows × 6 columns: 6.3 s through Python row tuples, 1.3 s through COPY + the Polars
CSV reader (and a fraction of the memory). The statement keeps its bound parameters: psycopg binds
them into the COPY statement. Columns are typed from the statement's own SQL types; a statement
with a type this reader does not know (JSON, arrays, intervals, …) is read row by row instead.

Timestamps travel as integer microseconds since the epoch: parsing "2024-12-01 00:15:00+00" text
cost the reader 0.38 s per million values, the integers 0.01 s (the server formats them no slower).
"""

from __future__ import annotations

import io

import polars as pl
from sqlalchemy import Boolean, Connection, DateTime, Float, Integer, Numeric, Select, String
from sqlalchemy.types import TypeEngine

from iris_resources.db.copy_out import copy_out


def _polars_type(sql_type: TypeEngine[object]) -> str | None:
    """'int', 'float', 'bool', 'str', 'ts' or None (unsupported)."""
    if isinstance(sql_type, Boolean):
        return "bool"
    if isinstance(sql_type, Integer):
        return "int"
    if isinstance(sql_type, Float | Numeric):
        return "float"
    if isinstance(sql_type, DateTime) and sql_type.timezone:
        return "ts"
    if isinstance(sql_type, String):
        return "str"
    return None


def column_kinds(statement: Select) -> dict[str, str] | None:
    """Output column name → kind, or None when some column's type is not supported."""
    kinds: dict[str, str] = {}
    for column in getattr(statement, "selected_columns", None) or ():
        kind = _polars_type(column.type)
        if kind is None or column.key in kinds:
            return None
        kinds[column.key] = kind
    return kinds or None


def _typed(frame: pl.DataFrame, kinds: dict[str, str]) -> pl.DataFrame:
    casts = []
    for name, kind in kinds.items():
        column = pl.col(name)
        if kind == "int":
            casts.append(column.cast(pl.Int64))
        elif kind == "float":
            casts.append(column.cast(pl.Float64))
        elif kind == "bool":
            casts.append(column.replace_strict({"t": True, "f": False}, default=None, return_dtype=pl.Boolean))
        elif kind == "ts":  # microseconds since the epoch (see ``_positional_columns``)
            casts.append(column.cast(pl.Int64).cast(pl.Datetime("us", "UTC")))
        else:
            casts.append(column)
    return frame.select(casts)


def _positional_columns(kinds: dict[str, str]) -> tuple[str, str]:
    """(select list, column aliases) that read the statement's columns by position (``c0``, ``c1``, …:
    output names of expressions need not match their keys), timestamps as integer epoch microseconds.

    ``date_part`` gives epoch seconds as a double, exact to the microsecond for any date before the
    23rd century; the cast to bigint rounds to the nearest integer, so the value is exact.
    """
    aliases = [f"c{index}" for index in range(len(kinds))]
    columns = [f"CAST(date_part('epoch', {alias}) * 1000000 AS BIGINT)" if kind == "ts" else alias
               for alias, kind in zip(aliases, kinds.values(), strict=True)]
    return ", ".join(columns), ", ".join(aliases)


def copy_frame_out(connection: Connection, statement: Select, kinds: dict[str, str]) -> pl.DataFrame:
    """The rows of ``statement`` as a frame typed by ``kinds`` (see :func:`column_kinds`)."""
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    driver = connection.connection.driver_connection
    assert driver is not None
    columns, aliases = _positional_columns(kinds)
    statement_sql = f"COPY (SELECT {columns} FROM ({compiled}) AS copied({aliases})) TO STDOUT " \
                    "(FORMAT CSV, HEADER, NULL '\\N')"
    data = copy_out(driver, statement_sql, compiled.params)
    names = list(kinds)
    raw = pl.read_csv(io.BytesIO(data), has_header=True, new_columns=names, infer_schema_length=0,
                      null_values="\\N", schema_overrides=dict.fromkeys(names, pl.String))
    return _typed(raw, kinds)
