"""Embedded PostgreSQL and Redis, and the resolution of the URLs every process connects to."""
