"""The ledger: entries, balances, the database's guards, verify."""
