"""What SCIM Users and Groups share: their meta block, and shared services' refusals spoken as SCIM errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from agora.errors import AgoraError
from agora.scim.errors import ScimError

T = TypeVar("T")


def meta(kind: str, row: Any, base_url: str) -> dict[str, Any]:
    """RFC 7643's meta of a stored resource; its version is the ETag, W/"n"."""
    return {"resourceType": kind, "created": row.created_at.isoformat(), "lastModified": row.updated_at.isoformat(),
            "location": f"{base_url}/{kind}s/{row.id}", "version": f'W/"{row.version}"'}


def as_scim(act: Callable[[], T]) -> T:
    """Run a shared service; its refusal (no free seat, an email taken) becomes the SCIM error it is."""
    try:
        return act()
    except AgoraError as error:
        if isinstance(error, ScimError):
            raise
        status = 409 if error.status == 409 else 400
        raise ScimError(error.message, status=status, scim_type="uniqueness" if status == 409 else None) from error
