"""Read the next chunk's inputs on a second connection while the step writes the current chunk.

A chunked step (read a coin chunk, compute, COPY its rows) spends much of its time waiting for the
server: first for its reads, then for its writes, one after the other on its one connection. Inputs
that other assets committed before the step began do not need the step's transaction, so a
background thread can read them on a unit of work of its own (never committed) one chunk ahead,
and the server works on the next chunk's reads while it ingests this chunk's rows.

Only for reads of data the step does not write: the reading unit of work cannot see the step's
uncommitted rows.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

from sqlalchemy import Connection

from iris_resources.db.uow import UnitOfWork

T = TypeVar("T")

# How long a blocked hand-over waits before it checks whether the consumer has gone (seconds).
_POLL = 0.1


class _Outcome(Generic[T]):
    __slots__ = ("error", "value")

    def __init__(self, value: T | None = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error


@contextmanager
def read_ahead(begin: Callable[[], UnitOfWork], reads: Sequence[Callable[[Connection], T]],
               depth: int = 1) -> Iterator[Iterator[T]]:
    """The results of ``reads``, in order, each run on one background unit of work from ``begin``
    (``transaction.begin``) at most ``depth`` results ahead of the consumer.

    A read's exception is raised where its result would have been; leaving the block early stops
    the thread after its current read and rolls its unit of work back.
    """
    handed: queue.Queue[_Outcome[T]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(outcome: _Outcome[T]) -> bool:
        while not stop.is_set():
            try:
                handed.put(outcome, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            with begin() as uow:  # never committed: it only reads
                for read in reads:
                    if stop.is_set() or not hand_over(_Outcome(read(uow.connection))):
                        return
        except BaseException as error:  # handed to the consumer, raised there
            hand_over(_Outcome(error=error))

    thread = threading.Thread(target=run, name="iris-read-ahead", daemon=True)
    thread.start()
    try:
        yield _results(handed, len(reads))
    finally:
        stop.set()
        thread.join()


def _results(handed: queue.Queue[_Outcome[T]], count: int) -> Iterator[T]:
    for _ in range(count):
        outcome = handed.get()
        if outcome.error is not None:
            raise outcome.error
        yield outcome.value  # type: ignore[misc]
