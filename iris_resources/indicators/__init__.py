"""Indicators domain: per-bar indicator values, coin metrics, classic signals, regimes, projections."""
