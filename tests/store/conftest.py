"""Store tests reuse the chat fixtures: rating a GPT needs a real conversation with it."""

from tests.chat.conftest import ChatClient, make_gpt, standin_server, upstream  # noqa: F401
