"""Portfolio persistence: accounts, balances, the action ledger, positions, state and equity."""
