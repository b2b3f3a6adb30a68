"""The IRIS read API (FastAPI): materialized projections over HTTP."""
