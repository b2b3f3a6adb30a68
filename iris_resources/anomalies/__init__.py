"""Anomalies domain: detected market anomalies, their lifecycle ledger, venue snapshots."""
