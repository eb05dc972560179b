"""The chat's stand-in model server, for the tools' tests that run a reply."""

from tests.chat.conftest import standin_server, upstream  # noqa: F401 (fixtures)
