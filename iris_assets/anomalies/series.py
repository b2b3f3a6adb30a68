"""Input series of the anomaly engine: candles, close-only peer series and per-venue snapshots.

Timestamps are candle **open** times held as ``datetime64[us]`` (UTC, no zone attached: NumPy has
none). Missing values are NaN: a candle without volume, a venue row without funding. Every series
must be strictly increasing in time, because the engine joins series on timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
TimeArray = npt.NDArray[np.datetime64]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TimesInput = TimeArray | Sequence[datetime] | pl.Series


def as_times(values: TimesInput) -> TimeArray:
    """``datetime64[us]`` UTC open times from NumPy/Polars datetimes or (naive-is-UTC) Python datetimes."""
    if isinstance(values, pl.Series):
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[us]")
    # NumPy refuses zone-aware datetimes, so normalise to naive UTC first.
    naive = [v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v for v in values]
    return np.array(naive, dtype="datetime64[us]")


def as_time(value: datetime) -> np.datetime64:
    """One ``datetime`` (naive means UTC) as ``datetime64[us]``."""
    return as_times([value])[0]


def to_datetime(value: np.datetime64) -> datetime:
    """A ``datetime64`` back to a zone-aware UTC ``datetime``."""
    return _EPOCH + timedelta(microseconds=int(value.astype("datetime64[us]").astype(np.int64)))


def _floats(values: npt.ArrayLike | pl.Series | None, length: int) -> FloatArray:
    if values is None:
        return np.full(length, np.nan)
    if isinstance(values, pl.Series):
        values = values.cast(pl.Float64).to_numpy()
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.shape != (length,):
        raise ValueError(f"expected {length} values, got shape {array.shape}")
    return array


def _check_increasing(timestamps: TimeArray) -> None:
    if timestamps.size > 1 and not bool(np.all(timestamps[1:] > timestamps[:-1])):
        raise ValueError("timestamps must be strictly increasing (sorted, no duplicates)")


@dataclass(frozen=True, slots=True, init=False)
class CandleSeries:
    """One coin's OHLCV candles in time order (volume may hold NaN for "no volume reported")."""

    timestamps: TimeArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __init__(
        self,
        timestamps: TimesInput,
        open: npt.ArrayLike,
        high: npt.ArrayLike,
        low: npt.ArrayLike,
        close: npt.ArrayLike,
        volume: npt.ArrayLike | None = None,
    ) -> None:
        times = as_times(timestamps)
        _check_increasing(times)
        n = times.shape[0]
        object.__setattr__(self, "timestamps", times)
        for name, values in (("open", open), ("high", high), ("low", low), ("close", close), ("volume", volume)):
            object.__setattr__(self, name, _floats(values, n))

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> CandleSeries:
        """Candles from a frame with ``timestamp, open, high, low, close[, volume]`` columns."""
        frame = frame.sort("timestamp")
        volume = frame["volume"] if "volume" in frame.columns else None
        return cls(frame["timestamp"], frame["open"], frame["high"], frame["low"], frame["close"], volume)

    def __len__(self) -> int:
        return int(self.timestamps.shape[0])

    def take(self, start: int, stop: int) -> CandleSeries:
        """The candles ``[start, stop)`` by position."""
        return CandleSeries(
            self.timestamps[start:stop],
            self.open[start:stop],
            self.high[start:stop],
            self.low[start:stop],
            self.close[start:stop],
            self.volume[start:stop],
        )

    def until(self, timestamp: datetime | np.datetime64, lookback: int) -> CandleSeries:
        """The last ``lookback`` candles opened at or before ``timestamp`` (never a later one)."""
        stop = int(np.searchsorted(self.timestamps, _as_time(timestamp), side="right"))
        return self.take(max(0, stop - lookback), stop)


@dataclass(frozen=True, slots=True, init=False)
class CloseSeries:
    """Closes of a benchmark or peer, in time order; all the relative detectors read from them."""

    timestamps: TimeArray
    close: FloatArray

    def __init__(self, timestamps: TimesInput, close: npt.ArrayLike) -> None:
        times = as_times(timestamps)
        _check_increasing(times)
        object.__setattr__(self, "timestamps", times)
        object.__setattr__(self, "close", _floats(close, times.shape[0]))

    def until(self, timestamp: datetime | np.datetime64, lookback: int) -> CloseSeries:
        """The last ``lookback`` closes at or before ``timestamp``."""
        stop = int(np.searchsorted(self.timestamps, _as_time(timestamp), side="right"))
        start = max(0, stop - lookback)
        return CloseSeries(self.timestamps[start:stop], self.close[start:stop])


PriceSeries = CandleSeries | CloseSeries

VENUE_COLUMNS = (
    "last_price",
    "mark_price",
    "index_price",
    "funding_rate",
    "open_interest",
    "basis",
    "liquidations_long",
    "liquidations_short",
    "volume",
)


@dataclass(frozen=True, slots=True, init=False)
class VenueSeries:
    """One venue's ``market_structure_snapshots`` rows for a coin, in time order (NULL is NaN)."""

    timestamps: TimeArray
    last_price: FloatArray
    mark_price: FloatArray
    index_price: FloatArray
    funding_rate: FloatArray
    open_interest: FloatArray
    basis: FloatArray
    liquidations_long: FloatArray
    liquidations_short: FloatArray
    volume: FloatArray

    def __init__(self, timestamps: TimesInput, **columns: npt.ArrayLike | None) -> None:
        unknown = set(columns) - set(VENUE_COLUMNS)
        if unknown:
            raise TypeError(f"unknown venue columns: {sorted(unknown)}")
        times = as_times(timestamps)
        _check_increasing(times)
        object.__setattr__(self, "timestamps", times)
        for name in VENUE_COLUMNS:
            object.__setattr__(self, name, _floats(columns.get(name), times.shape[0]))

    @property
    def reference_price(self) -> FloatArray:
        """``last_price``, else ``mark_price`` (reference §1.10)."""
        return np.where(np.isnan(self.last_price), self.mark_price, self.last_price)

    @property
    def basis_value(self) -> FloatArray:
        """``basis``, else ``(mark − index)/index`` when the index is non-zero (reference §1.10)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = np.where(self.index_price != 0.0, (self.mark_price - self.index_price) / self.index_price, np.nan)
        return np.where(np.isnan(self.basis), derived, self.basis)

    def until(self, timestamp: datetime | np.datetime64, lookback: int) -> VenueSeries:
        """The last ``lookback`` rows at or before ``timestamp``."""
        stop = int(np.searchsorted(self.timestamps, _as_time(timestamp), side="right"))
        start = max(0, stop - lookback)
        return VenueSeries(
            self.timestamps[start:stop],
            **{f.name: getattr(self, f.name)[start:stop] for f in fields(self) if f.name != "timestamps"},
        )


def _as_time(value: datetime | np.datetime64) -> np.datetime64:
    return value.astype("datetime64[us]") if isinstance(value, np.datetime64) else as_time(value)
