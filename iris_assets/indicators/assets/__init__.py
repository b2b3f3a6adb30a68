"""Dagster assets of the indicators domain."""
