"""What a candle file's name says about its symbol, timeframe and venue.

Recognised names (the extension already removed):

- Binance public kline dumps: ``BTCUSDT-15m-2024-01`` or ``BTCUSDT-1m-2024-01-15``;
- the shared sample set: ``coinbase_BTC-USD_1h``, ``binance_ADA-USDT-PERP_1m`` (venue_pair_timeframe);
- plain ``BTCUSD_15m``, ``BTC-USD-1h``, ``ethusdt_1d`` (pair and timeframe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iris_resources.sources.symbols import canonical_symbol, timeframe_minutes

_BINANCE_DUMP = re.compile(r"^(?P<pair>[A-Za-z0-9]+)-(?P<tf>\d+[a-zA-Z]+)-\d{4}-\d{2}(?:-\d{2})?$")
_VENUE_PAIR_TF = re.compile(
    r"^(?P<venue>[a-z0-9]+)_"  # venue, then a dashed pair, then the timeframe
    r"(?P<pair>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)_(?P<tf>\d+[a-zA-Z]+)$"
)
_PAIR_TF = re.compile(r"^(?P<pair>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)[_-](?P<tf>\d+[a-zA-Z]+)$")


@dataclass(frozen=True, slots=True)
class NameHints:
    """Symbol, timeframe (minutes) and venue read from a file name; None where it says nothing."""

    symbol: str | None = None
    timeframe: int | None = None
    venue: str | None = None


def name_hints(stem: str) -> NameHints:
    """Hints from a file name without its extension (``BTCUSDT-15m-2024-01`` → BTCUSD, 15, binance)."""
    match = _BINANCE_DUMP.match(stem)
    if match is not None:
        return NameHints(canonical_symbol(match["pair"]), timeframe_minutes(match["tf"]), "binance")
    match = _VENUE_PAIR_TF.match(stem)
    if match is not None:
        return NameHints(canonical_symbol(match["pair"]), timeframe_minutes(match["tf"]), match["venue"])
    match = _PAIR_TF.match(stem)
    if match is not None and timeframe_minutes(match["tf"]) is not None:
        return NameHints(canonical_symbol(match["pair"]), timeframe_minutes(match["tf"]), None)
    return NameHints()
