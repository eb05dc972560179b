"""Opaque page cursors: a small JSON object, base64url-encoded without padding."""

from __future__ import annotations

import base64
import binascii
import json

from agora.errors import InvalidInput
from agora.i18n import gettext as _


def encode(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decode(cursor: str) -> dict:
    """The cursor's data, or a 422 naming the cursor when it is not one Agora gave."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(data, dict):
            return data
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise refused()


def refused() -> InvalidInput:
    return InvalidInput(_("This cursor is not one Agora gave; start again without it."), field="cursor")
