"""The demo catalogue: 505 real assistants from the LobeHub agent index (MIT, see data/ATTRIBUTION.md)."""
