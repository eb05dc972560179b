"""A SCIM refusal: its HTTP status and RFC 7644 scimType (invalidValue, uniqueness, invalidFilter, ...)."""

from __future__ import annotations

from agora.errors import AgoraError


class ScimError(AgoraError):
    code = "scim"

    def __init__(self, message: str, *, status: int = 400, scim_type: str | None = None) -> None:
        super().__init__(message, status=status)
        self.scim_type = scim_type


def not_found(kind: str, resource_id: str) -> ScimError:
    return ScimError(f"There is no {kind} {resource_id} in this workspace.", status=404)
