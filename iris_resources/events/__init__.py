"""Domain events: a transactional outbox, its relay to Redis Streams, and consumer-side dedup."""
