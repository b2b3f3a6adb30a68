"""The ``iris`` command line: services, migrations, the demo, the UI and the API."""
