"""Infrastructure and persistence for IRIS: settings, services, database, repositories, sources."""
