"""Why the engine refuses to prepare a reply: each output words them its own way (/v1 as OpenAI does)."""

from __future__ import annotations

from agora.errors import InvalidInput
from agora.i18n import gettext as _


class TooLong(InvalidInput):
    """The messages do not fit the model's context window with room for the reply."""

    code = "context_length_exceeded"

    def __init__(self, *, window: int, room: int, latest: int, reply_tokens: int) -> None:
        super().__init__(
            _("This message is too long for the model: about %(tokens)s tokens, and at most %(limit)s fit. Shorten it.", tokens=latest, limit=room),
            field="content",
        )
        self.window, self.reply_tokens = window, reply_tokens


class ToolsUnsupported(InvalidInput):
    """The caller supplied tools (or tool messages) for a model whose provider cannot call them."""

    code = "tools_not_supported"

    def __init__(self, *, field: str) -> None:
        super().__init__(_("This model cannot call tools. Send the request without tools."), field=field)


class ToolNameTaken(InvalidInput):
    """A tool the caller supplied has the name of one of the GPT's own tools."""

    code = "invalid_value"

    def __init__(self, name: str) -> None:
        super().__init__(_("The GPT has its own tool named %(name)s: give yours another name.", name=name), field="tools")
