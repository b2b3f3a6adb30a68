"""Cross-market domain: relations, leaders, sector rotations."""
