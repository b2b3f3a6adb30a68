"""Dagster assets of the cross-market domain."""
