"""``COPY … TO STDOUT`` into one buffer, at half the client CPU of iterating psycopg's ``Copy``.

libpq hands over one message per row. Iterating ``Copy`` runs psycopg's waiting generator for every
row (0.9 µs a row here); the rows that are already in libpq's buffer can be taken with
``get_copy_data`` in a plain loop, waiting on the socket only when the buffer is empty (0.45 µs a
row: 1.05 M signal rows, 0.92 against 0.46 CPU-s, the same bytes). A month's range run reads about
ten million rows this way.

psycopg still starts the COPY (client-side parameter binding, the connection lock, the check that the
statement is a ``COPY TO``); this module only reads the rows and the final result, so the cursor
leaves the block in the state psycopg's own reading would leave it.
"""

from __future__ import annotations

import select
from collections.abc import Mapping, Sequence

import psycopg
from psycopg import pq

Params = Sequence[object] | Mapping[str, object]


def copy_out(driver: psycopg.Connection, statement: str, params: Params | None = None) -> bytearray:
    """The whole output of the ``COPY (…) TO STDOUT`` ``statement`` (psycopg placeholders)."""
    with driver.cursor() as cursor, cursor.copy(statement, params):
        return _drain(driver.pgconn, driver.info.encoding)


def _drain(pgconn: pq.abc.PGconn, encoding: str) -> bytearray:
    """Every row of the COPY in progress on ``pgconn``, then its final result (raised if an error)."""
    data = bytearray()
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN)
    while True:
        size, row = pgconn.get_copy_data(1)
        if size > 0:
            data += row
        elif size == 0:  # nothing buffered: wait for the server without holding the GIL
            poller.poll()
            pgconn.consume_input()
        else:  # -1: the copy is complete; -2: the connection failed (the result below says why)
            break
    while pgconn.is_busy():
        poller.poll()
        pgconn.consume_input()
    while (result := pgconn.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK:
            error = psycopg.errors.error_from_result(result, encoding=encoding)
            while pgconn.get_result() is not None:  # leave nothing pending on the connection
                pass
            raise error
    if size == -2:
        raise psycopg.OperationalError(pgconn.get_error_message(encoding) or "COPY TO STDOUT failed")
    return data
