"""Cross-venue aggregation of market-structure snapshots, per timestamp (reference §4.4.10–12).

The venues are laid out on one grid (venue × union of timestamps, NaN where a venue has no row or a
NULL value) so every per-timestamp aggregate is one NumPy reduction over the venue axis, in the
venues' mapping order, as the reference's per-timestamp lists were.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from iris_assets.anomalies.series import BoolArray, FloatArray, TimeArray, VenueSeries


@dataclass(frozen=True, slots=True)
class VenueGrid:
    """Venue-by-timestamp matrices of the snapshot columns the detectors read."""

    timestamps: TimeArray
    venues: tuple[str, ...]
    present: BoolArray
    price: FloatArray
    basis: FloatArray
    funding: FloatArray
    open_interest: FloatArray
    liquidations_long: FloatArray
    liquidations_short: FloatArray


def venue_grid(venues: Mapping[str, VenueSeries]) -> VenueGrid:
    """Lay the venues' rows out on the union of their timestamps."""
    names = tuple(venues)
    stamps = [series.timestamps for series in venues.values()]
    times = np.unique(np.concatenate(stamps)) if stamps else np.array([], dtype="datetime64[us]")
    shape = (len(names), times.shape[0])
    present = np.zeros(shape, dtype=np.bool_)
    matrices = {key: np.full(shape, np.nan) for key in ("price", "basis", "funding", "oi", "long", "short")}
    for row, series in enumerate(venues.values()):
        column = np.searchsorted(times, series.timestamps)
        present[row, column] = True
        matrices["price"][row, column] = series.reference_price
        matrices["basis"][row, column] = series.basis_value
        matrices["funding"][row, column] = series.funding_rate
        matrices["oi"][row, column] = series.open_interest
        matrices["long"][row, column] = series.liquidations_long
        matrices["short"][row, column] = series.liquidations_short
    return VenueGrid(
        times,
        names,
        present,
        matrices["price"],
        matrices["basis"],
        matrices["funding"],
        matrices["oi"],
        matrices["long"],
        matrices["short"],
    )


def _mean_or_zero(matrix: FloatArray) -> FloatArray:
    count = np.sum(~np.isnan(matrix), axis=0)
    return np.where(count > 0, np.nansum(matrix, axis=0) / np.maximum(count, 1), 0.0)


@dataclass(frozen=True, slots=True)
class DerivativesRows:
    """Per timestamp with any funding, open interest or basis: mean funding, summed OI, mean basis."""

    funding: FloatArray
    open_interest: FloatArray
    basis: FloatArray


def derivatives_rows(grid: VenueGrid) -> DerivativesRows:
    """Funding / OI / basis aggregates, skipping timestamps where no venue reports any of them."""
    reported = np.any(~np.isnan(grid.funding) | ~np.isnan(grid.open_interest) | ~np.isnan(grid.basis), axis=0)
    return DerivativesRows(
        funding=_mean_or_zero(grid.funding)[reported],
        open_interest=np.nansum(grid.open_interest, axis=0)[reported],
        basis=_mean_or_zero(grid.basis)[reported],
    )


@dataclass(frozen=True, slots=True)
class SpreadRows:
    """Per timestamp with at least two priced venues: relative spread, basis dispersion, priced venues."""

    spread: FloatArray
    basis_dispersion: FloatArray
    priced: BoolArray  # venue × row


def spread_rows(grid: VenueGrid) -> SpreadRows:
    """Cross-venue price spread ``(max − min)/median`` and basis ``max − min`` per priced timestamp."""
    priced = ~np.isnan(grid.price) & (grid.price != 0.0)
    keep = np.sum(priced, axis=0) >= 2
    prices = np.where(priced, grid.price, np.nan)[:, keep]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # kept columns always hold two prices
        median = np.nanmedian(prices, axis=0) if prices.size else np.zeros(0)
        spread_width = np.nanmax(prices, axis=0) - np.nanmin(prices, axis=0) if prices.size else np.zeros(0)
    spread = np.where(median > 0, spread_width / np.where(median > 0, median, 1.0), 0.0)
    basis = grid.basis[:, keep]
    basis_count = np.sum(~np.isnan(basis), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns are replaced below
        dispersion = np.nanmax(basis, axis=0) - np.nanmin(basis, axis=0) if basis.size else np.zeros(0)
    return SpreadRows(spread, np.where(basis_count >= 2, dispersion, 0.0), priced[:, keep])


@dataclass(frozen=True, slots=True)
class LiquidationRows:
    """Per timestamp with any venue row: long, short and total liquidations (NULL is 0) and summed OI."""

    longs: FloatArray
    shorts: FloatArray
    total: FloatArray
    open_interest: FloatArray


def liquidation_rows(grid: VenueGrid) -> LiquidationRows:
    """Liquidation sums per timestamp."""
    longs = np.nansum(np.where(grid.present, grid.liquidations_long, np.nan), axis=0)
    shorts = np.nansum(np.where(grid.present, grid.liquidations_short, np.nan), axis=0)
    return LiquidationRows(longs, shorts, longs + shorts, np.nansum(grid.open_interest, axis=0))
