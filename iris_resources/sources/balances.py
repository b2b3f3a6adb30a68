"""Exchange balances through ccxt (the optional ``exchange`` extra), with credentials by reference.

An account never stores its keys (DECISIONS.md 28): ``credentials_ref`` names an environment
variable (``env:NAME``) or a secret file (``secret:NAME`` under ``IRIS_SECRETS_DIR``, default
``/run/secrets``) holding JSON ``{"apiKey": ..., "secret": ...}``. Values are read at sync time and
never logged, returned in metadata or written to events.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
from pydantic import Field

from iris_resources.sources.base import SourceError


class BalanceFetcher(Protocol):
    """Anything that reports an account's holdings as ``{symbol, balance, value_usd}`` rows."""

    def fetch(self) -> list[dict[str, Any]]:
        """Current holdings; raises :class:`SourceError` when the exchange cannot be read."""
        ...


def resolve_credentials(credentials_ref: str, secrets_dir: Path | None = None) -> dict[str, str]:
    """The credentials ``credentials_ref`` points to (JSON object of strings)."""
    kind, _, name = credentials_ref.partition(":")
    if kind == "env":
        raw = os.environ.get(name)
    elif kind == "secret":
        path = (secrets_dir or Path(os.environ.get("IRIS_SECRETS_DIR", "/run/secrets"))) / name
        raw = path.read_text() if path.is_file() else None
    else:
        raise SourceError(f"credentials_ref {credentials_ref!r} must start with 'env:' or 'secret:'")
    if not raw:
        raise SourceError(f"credentials {credentials_ref!r} are not set")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:  # the message must not echo the secret
        raise SourceError(f"credentials {credentials_ref!r} are not a JSON object") from error
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise SourceError(f"credentials {credentials_ref!r} are not a JSON object of strings")
    return value


class CcxtBalanceFetcher:
    """Spot balances valued in USD at the last USDT (else USD) ticker price."""

    def __init__(self, exchange: Any) -> None:
        self._exchange = exchange

    @classmethod
    def connect(cls, exchange_id: str, credentials: dict[str, str]) -> CcxtBalanceFetcher:
        """A fetcher for ``exchange_id`` (needs the ``exchange`` extra)."""
        try:
            ccxt = importlib.import_module("ccxt")
        except ImportError as error:
            raise SourceError("exchange accounts need the optional extra: pip install 'iris[exchange]'") from error
        if not hasattr(ccxt, exchange_id):
            raise SourceError(f"unknown exchange {exchange_id!r}")
        return cls(getattr(ccxt, exchange_id)({**credentials, "enableRateLimit": True}))

    def fetch(self) -> list[dict[str, Any]]:
        """Non-zero holdings with their USD value."""
        try:
            totals = {k: float(v) for k, v in (self._exchange.fetch_balance().get("total") or {}).items() if v}
            tickers = self._exchange.fetch_tickers() if totals else {}
        except Exception as error:  # ccxt raises many types; the sync must not apply a failed read
            raise SourceError(f"{getattr(self._exchange, 'id', 'exchange')}: balance fetch failed: "
                              f"{type(error).__name__}") from error
        rows = []
        for asset, amount in sorted(totals.items()):
            stable = asset in ("USD", "USDT", "USDC")
            ticker = tickers.get(f"{asset}/USDT") or tickers.get(f"{asset}/USD") or {}
            price = 1.0 if stable else float(ticker.get("last") or 0.0)
            rows.append({"symbol": f"{asset}USD", "balance": amount, "value_usd": amount * price})
        return rows


class ExchangeBalancesResource(dg.ConfigurableResource):
    """Builds the balance fetcher of an exchange account from its credentials reference."""

    secrets_dir: str | None = Field(default=None, description="Directory of secret files (default /run/secrets).")

    def fetcher(self, exchange_name: str, credentials_ref: str) -> BalanceFetcher:
        """A fetcher for one account."""
        credentials = resolve_credentials(credentials_ref, Path(self.secrets_dir) if self.secrets_dir else None)
        return CcxtBalanceFetcher.connect(exchange_name, credentials)


FetcherFactory = Callable[[str, str], BalanceFetcher]
