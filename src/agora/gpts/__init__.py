"""The builder: GPT definitions, drafts, immutable published versions."""
