"""The fast path of cached routes: a version check on the event loop, then the body this process
already prepared for that version; everything else in a thread.

Cached routes (radar, flow, the metrics list, coins, history, one coin's metrics, indicators,
signals, anomalies) key their bodies by (route, normalized query, versions of the data domains the
route reads). The versions are held in process for at most ``api_version_max_age_ms``
(``iris_api.cache.DataVersions``; one statement on the loop's connection when older), so a hit runs
no statement and no thread hop. A unit of work bumps the versions of the domains it writes in its
own transaction (``iris_resources.events.versions``): a body is never served more than the bound
after a commit that changed its data.

The cached form is ``Prepared``: each response appends its own volatile fields, so a live read
still says ``generated_at`` = the response's time (as uncached: the data is the database's, at most
the bound behind), and a derived one the materialization's.

Measured on this 2-core machine (one worker, CPU per request): a hit costs 0.25–0.36 ms, nearly
all of it FastAPI and uvicorn; the same routes read from the database cost 0.9–1.7 ms (list
routes) and 0.6 ms (radar, flow and metrics list with a per-request version lookup, the previous
design). The thread hop and the GIL hand-offs around it cost more than a primary-key lookup, hence
the loop. Its dedicated single connection never waits for the pool and has a short statement
timeout, so a stalled database costs the loop at most ``api_inline_statement_timeout_ms``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import quote

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from iris_api.deps import read_connection
from iris_api.runtime import ApiRuntime
from iris_api.snapshot import Prepared, Rendered
from iris_resources.events.versions import read_data_versions

V = TypeVar("V")


async def versioned_body(runtime: ApiRuntime, name: str, domains: Sequence[str], params: str,
                         load: Callable[[], Prepared]) -> Rendered:
    """The body of ``name`` for ``params`` (a normalized query) at the current versions of
    ``domains``: from this process's memory, else Redis, else ``load()`` (in a worker thread)."""
    token = runtime.versions.token(domains, lambda: on_loop_connection(runtime, read_data_versions))
    if token is None:  # caching off, or a domain without a version
        return (await run_in_threadpool(load)).complete(runtime.settings)
    key = runtime.cache.key(name, token, params)
    prepared = runtime.cache.get_local(key)
    if prepared is None:
        prepared = await run_in_threadpool(_remote_or_load, runtime, key, load)
    return prepared.complete(runtime.settings)


def _remote_or_load(runtime: ApiRuntime, key: str, load: Callable[[], Prepared]) -> Prepared:
    prepared = runtime.cache.get(key)
    if prepared is None:
        prepared = load()
        runtime.cache.put(key, prepared)
    return prepared


def query_key(**values: object) -> str:
    """The parameters of a request as a cache-key fragment: ``name=value`` in call order (pass them
    normalized: defaults applied, case folded, repeated values sorted), ``None`` left out."""
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        items = value if isinstance(value, list | tuple) else [value]
        parts.append(f"{name}={','.join(quote(str(item), safe='') for item in items)}")
    return "&".join(parts)


def on_loop_connection(runtime: ApiRuntime, query: Callable[[Connection], V]) -> V:
    """Run one short query on the event loop's dedicated connection."""
    with read_connection(runtime.loop_engine) as connection:
        return query(connection)
