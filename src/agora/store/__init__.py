"""The catalogue: categories and what visitors browse."""
