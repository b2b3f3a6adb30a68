"""Dagster assets of the market data domain."""
