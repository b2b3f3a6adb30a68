"""Symbol, timeframe and time conventions shared by the sources.

Canonical crypto symbols are BASE + USD (``BTCUSD``): USD stablecoins count as USD, as in the
reference's capability registry. Timeframes are integer minutes inside IRIS and strings such as
``"15m"`` at the edges.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Quote currencies treated as USD when they are written with a separator ("BTC/USDT", "BTC-BUSD").
_USD_LIKE = ("USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USDP", "USDS", "PYUSD", "USD")
# Without a separator only unambiguous suffixes are stripped: "BNBUSD" must not become "BN" + BUSD.
_USD_SUFFIXES = ("FDUSD", "USDT", "USDC")

_TIMEFRAME = re.compile(r"^(\d+)(m|min|h|d|w)$", re.IGNORECASE)
_UNIT_MINUTES = {"m": 1, "min": 1, "h": 60, "d": 1440, "w": 10080}


def canonical_symbol(raw: str) -> str:
    """``BTC/USDT``, ``btc-usd``, ``BTCUSDT`` → ``BTCUSD``; a perpetual keeps a ``PERP`` suffix."""
    text = raw.strip().upper().replace(":", "/")
    parts = [part for part in re.split(r"[/\-_ ]+", text) if part]
    perp = bool(parts) and parts[-1] in {"PERP", "SWAP"}
    if perp:
        parts = parts[:-1]
    if len(parts) >= 2:
        base, quote = parts[0], parts[1]
        quote = "USD" if quote in _USD_LIKE else quote
        symbol = base + quote
    else:
        symbol = parts[0] if parts else ""
        for suffix in _USD_SUFFIXES:
            if symbol.endswith(suffix) and len(symbol) > len(suffix) + 1:
                symbol = symbol[: -len(suffix)] + "USD"
                break
    return symbol + ("PERP" if perp else "")


def timeframe_minutes(text: str) -> int | None:
    """``"15m"`` → 15, ``"1h"`` → 60, ``"1d"`` → 1440; None for anything else (``"1M"`` is a month)."""
    match = _TIMEFRAME.match(text.strip())
    if match is None or text.strip().endswith("M"):
        return None
    return int(match.group(1)) * _UNIT_MINUTES[match.group(2).lower()]


def timeframe_label(minutes: int) -> str:
    """15 → ``"15m"``, 60 → ``"1h"``, 1440 → ``"1d"`` (the spelling ccxt and Binance use)."""
    if minutes <= 0:
        raise ValueError(f"timeframe must be positive minutes, got {minutes}")
    if minutes % 10080 == 0:
        return f"{minutes // 10080}w"
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def as_utc(value: datetime, what: str) -> datetime:
    """``value`` converted to UTC; naive datetimes are refused (every IRIS time is timezone-aware)."""
    if value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)
