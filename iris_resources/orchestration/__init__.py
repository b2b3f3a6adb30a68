"""Dagster instance configuration (DAGSTER_HOME) prepared for IRIS's runtime modes."""
