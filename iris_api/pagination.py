"""Keyset pagination: ``limit`` plus an opaque cursor (base64url of the last sort key seen)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson

from iris_api.errors import bad_parameter

T = TypeVar("T")
KeyPart = int | str | datetime


def encode_cursor(key: Sequence[KeyPart]) -> str:
    """The opaque cursor for a sort key."""
    parts = [{"t": p.isoformat()} if isinstance(p, datetime) else p for p in key]
    return base64.urlsafe_b64encode(orjson.dumps(parts)).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, kinds: Sequence[type]) -> tuple[Any, ...] | None:
    """The sort key in ``cursor`` (``None`` for the first page); 422 ``invalid_cursor`` when it is not
    a cursor of this list."""
    if cursor is None:
        return None
    try:
        parts = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise ValueError("wrong arity")
        return tuple(_part(value, kind) for value, kind in zip(parts, kinds, strict=True))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise bad_parameter("cursor", "Not a cursor of this list; pass `next_cursor` unchanged.", cursor,
                            code="invalid_cursor") from None


def _part(value: object, kind: type) -> KeyPart:
    if kind is datetime and isinstance(value, dict) and isinstance(value.get("t"), str):
        parsed = datetime.fromisoformat(value["t"])
        if parsed.tzinfo is None:
            raise ValueError("naive time in cursor")
        return parsed
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    raise ValueError("cursor part of the wrong kind")


def page(rows: Sequence[T], limit: int, key: Callable[[T], Sequence[KeyPart]]) -> tuple[Sequence[T], str | None]:
    """Rows of this page (the query asked for ``limit + 1``) and the cursor of the next, if any."""
    if len(rows) <= limit:
        return rows, None
    kept = rows[:limit]
    return kept, encode_cursor(key(kept[-1]))
