"""The revenue pool: arithmetic, recomputation, runs."""
