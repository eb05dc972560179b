"""The outbound guard."""
