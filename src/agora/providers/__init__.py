"""LLM backends behind one small interface: the bundled local model and any OpenAI-compatible server."""
