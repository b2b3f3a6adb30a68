"""Dagster assets of the predictions domain."""
