"""Errors in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.

Messages are English, like OpenAI's: SDKs and developers' logs expect them, whatever the
Accept-Language of the call. The status decides which SDK exception a client raises
(401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError, 429 RateLimitError...).
"""

from __future__ import annotations

import math

from fastapi.responses import JSONResponse

from agora.providers.base import ProviderError
from agora.replies.guardrails import MessageBlocked

TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",  # a priced GPT the caller has no credit for (agora.credits)
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    502: "upstream_error",
    504: "upstream_error",
}


class OpenAIError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": TYPES.get(self.status, "server_error"), "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


KEY_REFUSALS = {
    "missing": "You didn't provide an API key. Send it in the Authorization header: `Authorization: Bearer agora-sk-...`. Create one on your account page.",
    "malformed": "The Authorization header must be `Bearer agora-sk-...`.",
    "unknown": "Incorrect API key provided. Check it on your account page.",
    "revoked": "This API key has been revoked.",
    "expired": "This API key has expired.",
    "deactivated": "The account this API key belongs to is deactivated by its organisation.",
}


def invalid_key(reason: str) -> OpenAIError:
    return OpenAIError(401, KEY_REFUSALS[reason], code="invalid_api_key")


def missing_scope(scope: str) -> OpenAIError:
    return OpenAIError(403, f"This API key lacks the `{scope}` scope.", code="insufficient_scope")


def model_not_found(model: str) -> OpenAIError:
    return OpenAIError(
        404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found", param="model"
    )


def invalid(message: str, param: str | None = None, code: str | None = None) -> OpenAIError:
    return OpenAIError(400, message, param=param, code=code)


def with_upgrade_url(message: str, path: str, url: str, *, suggest: bool) -> str:
    """`message` with the upgrade page's `path` written as its full `url`; added when `suggest` and absent."""
    if path in message:
        return message.replace(path, url)
    return f"{message} Upgrade at {url}." if suggest else message


def upstream_error(error: ProviderError) -> OpenAIError:
    """What /v1 answers when the model server failed: 504 when it did not answer in time, 429 when it
    said too many requests (with its Retry-After, when it gave one), 502 for every other failure."""
    if error.kind == "timeout":
        return OpenAIError(504, f"The model server did not answer in time: {error.message}", code="upstream_timeout")
    if error.kind == "rate_limited":
        headers = {"Retry-After": str(math.ceil(error.retry_after))} if error.retry_after is not None else None
        return OpenAIError(429, f"The model server is busy: {error.message}", code="upstream_rate_limited", headers=headers)
    return OpenAIError(502, f"The model server failed: {error.message}", code="upstream_error")


def content_policy_violation(blocked: MessageBlocked) -> OpenAIError:
    """The guardrails blocked the last message (agora.replies.guardrails): 400, as OpenAI answers a prompt its policy refuses."""
    return OpenAIError(400, f"Your message was not sent: it was flagged as {blocked.verdict.named()}, which this service does not allow. "
                       "A copy was kept for the moderators.", param="messages", code="content_policy_violation")
