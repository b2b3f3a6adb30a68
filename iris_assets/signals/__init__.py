"""Signals domain engines: outcomes of signals at their horizons (pure Polars/NumPy)."""
