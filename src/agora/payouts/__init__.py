"""Paying builders: the monthly revenue pool split by engagement (later: prices, payouts, statements)."""
