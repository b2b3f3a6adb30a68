"""Market data assets: the coin universe, base candles and higher-timeframe aggregates."""
