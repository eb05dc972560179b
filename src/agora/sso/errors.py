"""Why a single sign-on did not complete: shown to the person signing in, and logged with its reason code."""

from __future__ import annotations

from agora.errors import AgoraError


class SsoFailed(AgoraError):
    """The sign-in cannot go on: the provider is unreachable, its answer cannot be trusted, or
    the account it names may not sign in here. `reason` is a stable code for logs and tests."""

    status, code = 400, "sso_failed"

    def __init__(self, message: str, *, reason: str, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.reason = reason
