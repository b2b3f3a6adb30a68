"""``copy_out`` gives exactly what iterating psycopg's own ``Copy`` gives, and fails like it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, text

from iris_resources.db.copy_out import copy_out

# Enough rows that libpq's buffer runs dry many times (the read waits on the socket in between);
# a label with a quote and a parameter list check the client-side binding psycopg does for COPY.
ROWS = ("COPY (SELECT g, g / 7.0, %s || g, g = ANY(%s) FROM generate_series(1, %s) AS g) "
        "TO STDOUT (FORMAT {fmt})")


def _psycopg_copy(driver: psycopg.Connection, statement: str, params: tuple[object, ...]) -> bytes:
    data = bytearray()
    with driver.cursor() as cursor, cursor.copy(statement, params) as copy:
        for block in copy:
            data += block
    return bytes(data)


@pytest.mark.parametrize("fmt", ["CSV", "BINARY", "TEXT"])
def test_copy_out_matches_psycopg_copy(engine: Engine, fmt: str) -> None:
    params = ("o'brien-", [3, 5, 200_000], 200_000)
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        ours = copy_out(driver, ROWS.format(fmt=fmt), params)
        theirs = _psycopg_copy(driver, ROWS.format(fmt=fmt), params)
        # The connection is usable afterwards, inside the same transaction.
        assert connection.execute(text("SELECT 41 + 1")).scalar_one() == 42
    assert bytes(ours) == theirs
    assert len(ours) > 1_000_000
    if fmt == "CSV":
        assert b"o'brien-7" in ours


def test_copy_out_of_nothing_is_empty(engine: Engine) -> None:
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        assert copy_out(driver, "COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT CSV)") == bytearray()
        header_only = copy_out(driver, "COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT CSV, HEADER)")
        assert header_only == bytearray(b"?column?\n")


def test_an_error_midway_raises_the_servers_error_and_the_connection_recovers(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))  # inside a transaction, as every read of a unit of work
        driver = connection.connection.driver_connection
        with pytest.raises(psycopg.errors.DivisionByZero, match="division by zero"):
            copy_out(driver, "COPY (SELECT 1 / (g - 150000) FROM generate_series(1, 200000) AS g) TO STDOUT")
        connection.rollback()
        assert connection.execute(text("SELECT 7")).scalar_one() == 7


def test_a_statement_that_is_not_a_copy_out_is_refused(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        driver = connection.connection.driver_connection
        with pytest.raises(psycopg.ProgrammingError):
            copy_out(driver, "SELECT 1")
        connection.rollback()
        assert connection.execute(text("SELECT 8")).scalar_one() == 8
