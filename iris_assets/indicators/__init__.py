"""Pure technical-indicator engine: TA-Lib-exact indicators and candlestick patterns on NumPy/Polars.

No I/O, no database and no Dagster here. ``iris_assets.indicators.engine.compute_indicators`` is the
public entry; the sibling modules expose the individual functions (NumPy arrays or Polars Series in,
float64 arrays with NaN warm-up out; candlesticks return int32 arrays in TA-Lib's +100/-100/0 convention).
"""
