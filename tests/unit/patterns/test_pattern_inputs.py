"""The pattern step reads only ``INDICATOR_INPUTS`` of the stored indicator columns: detections,
gates, clusters and cycles must come out the same as from every stored column."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from iris_assets.patterns.batch import PatternBatch, detect_batch
from iris_assets.patterns.engine import INDICATOR_INPUTS
from iris_resources.indicators.tables import indicators
from tests.unit.patterns.pattern_builders import START, regime_walk

KEYS_AND_CANDLE = ("coin_id", "timeframe", "timestamp", "close", "volume")
STORED = [column.name for column in indicators.c if column.name not in KEYS_AND_CANDLE]
CANDLE_COLUMNS = ["coin_id", "timestamp", "open", "high", "low", "close", "volume"]
NO_STATISTICS = pl.DataFrame(schema={"pattern_slug": pl.String, "timeframe": pl.Int16, "market_regime": pl.String,
                                     "total_signals": pl.Int64, "success_rate": pl.Float64, "enabled": pl.Boolean,
                                     "temperature": pl.Float64})


def _rows(bars: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    found = detect_batch(PatternBatch((1,), 60, START + timedelta(days=20), bars, NO_STATISTICS))
    return found.signals.sort(found.signals.columns), found.cycles.sort(found.cycles.columns)


def test_every_input_is_a_stored_indicator_column() -> None:
    assert set(INDICATOR_INPUTS) <= set(STORED)


@pytest.mark.parametrize("seed", [3, 11])
def test_detections_from_the_inputs_equal_detections_from_every_stored_column(seed: int) -> None:
    bars = regime_walk(seed, 2_500)
    stored = bars.select(*CANDLE_COLUMNS, *[c for c in STORED if c in bars.columns])
    assert len(stored.columns) > len(CANDLE_COLUMNS) + len(INDICATOR_INPUTS)  # the test drops something
    full_signals, full_cycles = _rows(stored)
    signals, cycles = _rows(stored.select(*CANDLE_COLUMNS, *INDICATOR_INPUTS))
    assert full_signals.height > 100 and full_cycles.height > 100
    assert signals.equals(full_signals)
    assert cycles.equals(full_cycles)


def test_a_missing_gate_input_changes_the_detections() -> None:
    """The comparison above can see a dropped column: without the trend gate's EMA-50 it differs."""
    stored = regime_walk(3, 2_500).select(*CANDLE_COLUMNS, *INDICATOR_INPUTS)
    assert not _rows(stored.drop("ema_50"))[0].equals(_rows(stored)[0])
