"""Conversations with a GPT: messages, the runtime loop that streams replies, sharing."""
