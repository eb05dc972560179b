"""The double-entry ledger: every movement of money, as balanced entries that are never changed."""
