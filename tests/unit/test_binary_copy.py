"""Binary COPY encoding: byte layout PostgreSQL expects, NULLs, round trip through the decoder."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import polars as pl
import pytest

from iris_resources.db.binary_copy import HEADER, TRAILER, decode, encode_rows, iter_copy_chunks

COLUMNS = [("id", "int4"), ("ts", "timestamptz"), ("price", "float8"), ("flag", "bool")]


def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "id": pl.Series([1, 2], dtype=pl.Int32),
        "ts": pl.Series([datetime(2000, 1, 1, tzinfo=UTC), datetime(2024, 3, 5, 12, tzinfo=UTC)],
                        dtype=pl.Datetime("us", "UTC")),
        "price": [1.5, 2.5],
        "flag": [True, False],
    })


def test_a_record_has_the_field_count_then_length_prefixed_big_endian_values() -> None:
    body = encode_rows(_frame().head(1), COLUMNS)  # type: ignore[arg-type]
    assert struct.unpack(">h", body[:2]) == (4,)
    assert struct.unpack(">ii", body[2:10]) == (4, 1)
    assert struct.unpack(">iq", body[10:22]) == (8, 0)  # 2000-01-01 is PostgreSQL's epoch
    assert struct.unpack(">id", body[22:34]) == (8, 1.5)
    assert body[34:39] == struct.pack(">i?", 1, True)


def test_nulls_are_written_as_length_minus_one_without_data() -> None:
    frame = _frame().with_columns(pl.Series("price", [None, 2.5], dtype=pl.Float64))
    body = encode_rows(frame, COLUMNS)  # type: ignore[arg-type]
    full = encode_rows(_frame(), COLUMNS)  # type: ignore[arg-type]
    assert len(body) == len(full) - 8
    assert struct.unpack(">i", body[22:26]) == (-1,)


def test_encoded_stream_decodes_back_to_the_same_frame() -> None:
    stream = b"".join(iter_copy_chunks(_frame(), COLUMNS, chunk_rows=1))  # type: ignore[arg-type]
    assert stream.startswith(HEADER) and stream.endswith(TRAILER)
    assert decode(stream, COLUMNS).equals(_frame())  # type: ignore[arg-type]


def test_decoding_a_stream_with_nulls_asks_for_coalesce() -> None:
    frame = _frame().with_columns(pl.Series("price", [None, 2.5], dtype=pl.Float64))
    stream = b"".join(iter_copy_chunks(frame, COLUMNS))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="COALESCE"):
        decode(stream, COLUMNS)  # type: ignore[arg-type]


def _records(body: bytes) -> list[bytes]:
    """Split a binary COPY body into its row records (field count, then length-prefixed fields)."""
    rows, at = [], 0
    while at < len(body):
        begin = at
        (fields,) = struct.unpack_from(">h", body, at)
        at += 2
        for _ in range(fields):
            (length,) = struct.unpack_from(">i", body, at)
            at += 4 + max(length, 0)
        rows.append(body[begin:at])
    return rows


def test_text_columns_are_written_with_their_bytes_or_null() -> None:
    frame = pl.DataFrame({"id": pl.Series([1, 2, 3, 4], dtype=pl.Int32), "label": ["bull", None, "bear", "sideways"],
                          "price": [1.5, None, 2.5, 3.0]})
    body = encode_rows(frame, [("id", "int4"), ("label", "text"), ("price", "float8")])  # type: ignore[list-item]
    expected = [
        struct.pack(">hii", 3, 4, 1) + struct.pack(">i", 4) + b"bull" + struct.pack(">id", 8, 1.5),
        struct.pack(">hii", 3, 4, 2) + struct.pack(">i", -1) + struct.pack(">i", -1),
        struct.pack(">hii", 3, 4, 3) + struct.pack(">i", 4) + b"bear" + struct.pack(">id", 8, 2.5),
        struct.pack(">hii", 3, 4, 4) + struct.pack(">i", 8) + b"sideways" + struct.pack(">id", 8, 3.0),
    ]
    # Rows are grouped by their text lengths (COPY order is free); every row is there exactly once.
    assert sorted(_records(body)) == sorted(expected)


def test_free_text_falls_back_to_the_scattered_encoding_with_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    import iris_resources.db.binary_copy as binary_copy

    frame = pl.DataFrame({"id": pl.Series(range(300), dtype=pl.Int32),
                          "note": [None if i % 4 == 0 else ("é" if i % 2 else "n") * (i % 37) for i in range(300)],
                          "price": [None if i % 5 == 0 else i / 7 for i in range(300)]})
    columns = [("id", "int4"), ("note", "text"), ("price", "float8")]
    grouped = encode_rows(frame, columns)  # type: ignore[arg-type]
    monkeypatch.setattr(binary_copy, "MAX_LAYOUT_GROUPS", 1)
    scattered = encode_rows(frame, columns)  # type: ignore[arg-type]
    assert len(_records(scattered)) == 300
    assert sorted(_records(grouped)) == sorted(_records(scattered))
