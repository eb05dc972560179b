"""Machine-facing APIs that follow a contract set elsewhere (OpenAI's, for /v1)."""
