"""Usage: what each reply cost in tokens, for quotas, metering and the store's trending rollup."""
