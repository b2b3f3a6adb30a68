"""Dagster assets of the portfolio domain."""
