"""Patterns domain: the detector registry, market cycles, signal outcomes and pattern statistics."""
