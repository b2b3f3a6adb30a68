"""Predictions domain: leader-driven predictions, their outcomes, and the relation feedback ledger."""
