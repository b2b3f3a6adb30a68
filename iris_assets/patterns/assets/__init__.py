"""Dagster assets of the patterns domain."""
