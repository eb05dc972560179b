"""The one error type services raise for a refused request.

Pages render it next to the field it names; the JSON API answers
``{"error": {"code", "message", "field"}}`` with its HTTP status.
"""

from __future__ import annotations


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
