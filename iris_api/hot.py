"""The fast path of the hot routes (radar, flow, metrics list): a version lookup on the event loop,
then the body this process already rendered for that version; everything else in a thread.

Measured on this 2-core machine: sending a cached radar body through the thread pool cost ~0.9 ms
of CPU per request, on the loop ~0.7 ms; the thread hop and the GIL hand-offs around it cost more
than the primary-key lookup itself. The lookup runs on the runtime's dedicated single connection
(never waits for the pool) with a short statement timeout, so a stalled database costs the loop at
most ``api_inline_statement_timeout_ms``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from iris_api.deps import read_connection
from iris_api.runtime import ApiRuntime
from iris_api.snapshot import Rendered

V = TypeVar("V")


async def hot_body(runtime: ApiRuntime, name: str, params: str, version_of: Callable[[ApiRuntime], V],
                   key_of: Callable[[V], datetime | str | None], load: Callable[[V], Rendered]) -> Rendered:
    """The body of ``name`` at its current version: from this process's memory when it holds it,
    else ``load(version)`` in a worker thread (Redis, then the database)."""
    version = version_of(runtime)
    key = key_of(version)
    if key is not None:
        cached = runtime.cache.get_local(runtime.cache.key(name, key, params))
        if cached is not None:
            return cached
    return await run_in_threadpool(load, version)


def on_loop_connection(runtime: ApiRuntime, query: Callable[[Connection], V]) -> V:
    """Run one short query on the event loop's dedicated connection."""
    with read_connection(runtime.loop_engine) as connection:
        return query(connection)
