"""Dagster assets of the anomalies domain."""
