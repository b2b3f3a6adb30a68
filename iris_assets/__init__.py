"""Dagster assets, checks, partitions, sensors and the pure analytics engines of IRIS."""
