"""The one error type services raise for a refused request.

Pages render it next to the field it names; the JSON API answers
``{"error": {"code", "message", "field"}}`` with its HTTP status.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class AgoraError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        if status:
            self.status = status

    def as_json(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return {"error": body}


class InvalidInput(AgoraError):
    status, code = 422, "invalid_input"


class Conflict(AgoraError):
    status, code = 409, "conflict"


class Unauthorized(AgoraError):
    status, code = 401, "unauthorized"


class Forbidden(AgoraError):
    status, code = 403, "forbidden"


class EmailUnverified(Forbidden):
    """The operator requires a verified email (AGORA_REQUIRE_EMAIL_VERIFICATION) and this account has none yet."""

    code = "email_unverified"


class NotFound(AgoraError):
    status, code = 404, "not_found"


class TooManyRequests(AgoraError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = retry_after


class Unavailable(AgoraError):
    """Agora cannot do it right now (its database is away); the same request later will work."""

    status, code = 503, "unavailable"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="What went wrong, for programs: invalid_input, not_found, unauthorized, rate_limited...")
    message: str = Field(description="What went wrong and how to fix it, for people (in the request's language)")
    field: str | None = Field(None, description="The field at fault: a dotted path in the body, or a parameter's name")
    details: list[ErrorDetail] | None = Field(None, description="Every problem, when the input had more than one")


class ErrorOut(BaseModel):
    """How the JSON API answers a refused request."""

    error: ErrorBody


# Documented on every operation of the JSON API (FastAPI's own 422 shape is replaced: Agora never answers it).
ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in [
        (400, "Bad request"),
        (401, "Not signed in, or wrong credentials"),
        (403, "Not allowed (a missing CSRF header, someone else's resource, an operation for administrators)"),
        (404, "Not found, or not shared with you"),
        (409, "Conflicts with the current state (a reply still being written, a name taken)"),
        (422, "Invalid input: `field` names it"),
        (413, "The request body is too large"),
        (429, "Too many requests: see Retry-After"),
        (503, "Unavailable for a moment (the database is away): see Retry-After"),
    ]
}
