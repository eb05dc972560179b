"""/v1: the OpenAI-compatible API. Any OpenAI SDK can call a GPT with `model="g-..."`."""
