"""The audit log: append-only, hash-chained records of what people and systems did (issue 22 item 3)."""
