"""Dagster assets of the signals domain."""
