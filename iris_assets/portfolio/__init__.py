"""Portfolio engine: paper trading from final signals, with sizing, risk limits, stops and a replayable ledger."""
