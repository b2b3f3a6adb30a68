"""Candle sources: the synthetic market, files, and live exchanges (ccxt, optional extra)."""
