"""Agora: an open-source, self-hostable GPT Store."""

__version__ = "0.1.0"
