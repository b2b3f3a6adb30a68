"""Runtime plumbing of the code location: the outbox relay sensor."""
