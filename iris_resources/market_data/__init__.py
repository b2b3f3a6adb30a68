"""Market data domain: coins, sectors, base candles, higher-timeframe aggregates, gaps, rejects."""
