"""Database core: engine factory, unit of work, schema metadata, persistence logging, Dagster resources."""
