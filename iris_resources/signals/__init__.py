"""Signals domain persistence: decision logs, risk metrics, backtests and strategies."""
