"""Exchange balance sync plan (reference 4.2–4.3, with its sync bugs fixed).

A pure planning step between "what the exchange reported" and the database writes:

* fetched rows are upserted by upper-cased symbol; a blank symbol is skipped, while an
  unparseable, non-finite or negative balance / value is rejected with a ValueError naming the
  symbol and the field (the reference silently turned such values into 0), as is a symbol reported
  twice;
* a symbol held before but missing from the fetch is zeroed (the reference kept stale holdings
  forever, reference §8.20);
* auto-watch enables a coin whose holding is worth ≥ ``threshold`` and is not enabled yet, and
  disables — only — coins that auto-watch itself enabled once their holding falls below it (the
  reference never un-watched). A coin the user enabled by hand is never claimed by auto-watch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

UPSERT_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.String(),
    "balance": pl.Float64(),
    "value_usd": pl.Float64(),
    "previous_value": pl.Float64(),
    "changed": pl.Boolean(),  # balance or value moved (drives balance/position events)
    "missing": pl.Boolean(),  # zeroed because the exchange no longer reports it
}
_EPSILON = 1e-9


@dataclass(frozen=True)
class BalanceSyncPlan:
    """The writes one account's sync needs, in symbol order."""

    upserts: pl.DataFrame  # UPSERT_SCHEMA, sorted by symbol
    enable_watch: tuple[str, ...]  # set enabled and auto_watch_enabled (create the coin if new)
    disable_watch: tuple[str, ...]  # clear enabled and auto_watch_enabled
    new_symbols: tuple[str, ...]  # fetched symbols without a coin yet


def _number(row: Mapping[str, Any], field: str, symbol: str) -> float:
    raw = row.get(field)
    try:
        if isinstance(raw, bool):
            raise TypeError
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"balance of {symbol}: {field}={raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"balance of {symbol}: {field}={raw!r} must be a finite number ≥ 0")
    return value


def _parse(fetched: Sequence[Mapping[str, Any]]) -> dict[str, tuple[float, float]]:
    parsed: dict[str, tuple[float, float]] = {}
    for row in fetched:
        raw = row.get("symbol")
        symbol = "" if raw is None else str(raw).strip().upper()
        if not symbol:
            continue
        if symbol in parsed:
            raise ValueError(f"balance of {symbol} reported twice in one fetch")
        parsed[symbol] = (_number(row, "balance", symbol), _number(row, "value_usd", symbol))
    return parsed


def plan_balance_sync(
    current: pl.DataFrame,
    fetched: Sequence[Mapping[str, Any]],
    watched: pl.DataFrame,
    threshold: float,
) -> BalanceSyncPlan:
    """Plan one account's sync.

    current: stored balances (symbol, balance, value_usd); fetched: the exchange's rows
    ({symbol, balance, value_usd}); watched: coins (symbol, auto_watch_enabled, enabled);
    threshold: the auto-watch minimum holding value in USD.
    """
    reported = _parse(fetched)
    stored = {
        str(symbol).upper(): (float(balance or 0.0), float(value or 0.0))
        for symbol, balance, value in current.select("symbol", "balance", "value_usd").rows()
    }
    rows = []
    for symbol, (balance, value) in reported.items():
        before_balance, before_value = stored.get(symbol, (0.0, 0.0))
        moved = abs(before_balance - balance) > _EPSILON or abs(before_value - value) > _EPSILON
        rows.append((symbol, balance, value, before_value, moved or symbol not in stored, False))
    for symbol, (balance, value) in stored.items():
        if symbol not in reported and (balance != 0.0 or value != 0.0):
            rows.append((symbol, 0.0, 0.0, value, True, True))
    upserts = pl.DataFrame(rows, schema=UPSERT_SCHEMA, orient="row").sort("symbol")

    after = {symbol: value for symbol, (_, value) in stored.items()}
    after.update({row[0]: row[2] for row in rows})
    coins = {
        str(symbol).upper(): (bool(auto), bool(enabled))
        for symbol, auto, enabled in watched.select("symbol", "auto_watch_enabled", "enabled").rows()
    }
    enable = sorted(
        symbol for symbol, value in after.items() if value >= threshold and not coins.get(symbol, (False, False))[1]
    )
    disable = sorted(symbol for symbol, (auto, _) in coins.items() if auto and after.get(symbol, 0.0) < threshold)
    return BalanceSyncPlan(
        upserts=upserts,
        enable_watch=tuple(enable),
        disable_watch=tuple(disable),
        new_symbols=tuple(sorted(symbol for symbol in reported if symbol not in coins)),
    )
