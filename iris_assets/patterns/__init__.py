"""Pure pattern-detection engine (reference patterns §2–4): catalog, detectors, context, market cycle.

No I/O, no database and no Dagster here. ``engine.detect_all`` / ``engine.detect_latest`` are the
entries for detections; ``context`` gates and weights them and builds cluster/hierarchy
meta-signals; ``cycle.market_cycle`` labels market-cycle phases per bar.
"""
