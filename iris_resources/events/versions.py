"""Data versions: one counter per domain, bumped in the transaction that changes the domain's data.

Every unit of work bumps, right before it commits, the domains of the repositories it used
(``DOMAINS_BY_REPOSITORY``; using a repository without writing only invalidates more than needed).
The bump commits or rolls back with the data, so a reader that sees a version also sees every
change made up to it: the read API keys rendered bodies by (route, parameters, versions of the
domains the route reads) and re-reads the versions at most every ``IRIS_API_VERSION_MAX_AGE_MS``.

Why not the outbox events: not every write announces itself (metrics, aggregates, the universe,
pattern signals and anomaly status changes append no event, and re-runs append nothing by design),
and an INCR after publishing can be lost when Redis fails at that moment. The version row is the
one signal that cannot diverge from the data.

A version is the larger of "previous + 1" and the bump's clock time in microseconds: it only grows,
and a database rebuilt from scratch never repeats a version an older cache entry may carry.
Writes made outside a unit of work (``psql``, tests) must call ``bump_data_versions`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

# Unit-of-work repository attribute → the domains its writes change.
DOMAINS_BY_REPOSITORY: Mapping[str, tuple[str, ...]] = {
    "coins": ("coins",),
    "candles": ("candles",),
    "candle_aggregates": ("candles",),
    "indicators": ("indicators",),  # indicators, coin metrics, signals, regime changes, projections
    "anomalies": ("anomalies",),
    "patterns": ("patterns",),
    "decisions": ("signals",),  # decision logs, final signals, backtests, strategies
    "cross_market": ("cross_market",),
    "predictions": ("predictions",),
    "portfolio": ("portfolio", "coins"),  # auto-watch enables and disables coins
}
DOMAINS: tuple[str, ...] = tuple(sorted({d for ds in DOMAINS_BY_REPOSITORY.values() for d in ds}))

_CLOCK_US = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
# Rows are locked in domain order (deadlock-free between writers) and only from here to COMMIT.
_BUMP = text(f"""
    INSERT INTO data_versions (domain, version, changed_at)
    SELECT d, {_CLOCK_US}, clock_timestamp() FROM unnest(:domains) AS d ORDER BY d
    ON CONFLICT (domain) DO UPDATE
    SET version = GREATEST(data_versions.version + 1, EXCLUDED.version), changed_at = EXCLUDED.changed_at
""").bindparams(bindparam("domains", type_=ARRAY(Text())))
_READ = text("SELECT domain, version FROM data_versions")


def domains_of_repositories(names: Iterable[str]) -> tuple[str, ...]:
    """The domains the given unit-of-work repositories write, sorted (unknown names: themselves)."""
    return tuple(sorted({d for name in names for d in DOMAINS_BY_REPOSITORY.get(name, (name,))}))


def bump_data_versions(connection: Connection, domains: Iterable[str]) -> None:
    """Bump ``domains`` inside the caller's transaction (it commits or rolls back with the data)."""
    ordered = sorted(set(domains))
    if ordered:
        connection.execute(_BUMP, {"domains": ordered})


def read_data_versions(connection: Connection) -> dict[str, int]:
    """Every domain's current version (one statement)."""
    return {str(domain): int(version) for domain, version in connection.execute(_READ)}
