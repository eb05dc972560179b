"""JSON shapes of the builder API (documented in the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from agora.gpts.content import GptContent, Visibility
from agora.inputs import Id, Text


def _loose(name: str, *, required: tuple[str, ...] = ()) -> type[BaseModel]:
    """GptContent's fields, optional and unconstrained here: the service checks the merged
    draft and answers with one translated message naming the field and its limit."""
    fields: dict[str, Any] = {
        field: ((info.annotation, ...) if field in required else (_or_none(info.annotation), None))
        for field, info in GptContent.model_fields.items()
    }
    fields["visibility"] = (Visibility | None, Field(None, description="private, link, workspace or public"))
    fields["allow_forks"] = (bool | None, Field(None, description="Let others copy the live version"))
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def _or_none(annotation: Any) -> Any:
    return annotation | None


GptCreateIn = create_model(
    "GptCreateIn",
    __base__=_loose("GptCreateBase", required=("name",)),
    workspace_id=(Id | None, Field(None, description="The workspace it belongs to (one you are a member of); "
                                                        "by default the one you work in")),
)
GptPatchIn = _loose("GptPatchIn")


class CreatedOut(BaseModel):
    id: str


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text = ""


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Id
    note: Text = ""


class VersionNumberOut(BaseModel):
    version: int


class PersonOut(BaseModel):
    handle: str
    display_name: str


class CheckOut(BaseModel):
    kind: Literal["policy", "impersonation", "clone"]
    result: Literal["pass", "flag"]
    detail: Any = Field(description="What the check found: flagged categories, the name claimed, the original GPT")


class ReviewOut(BaseModel):
    state: Literal["draft", "pending", "listed", "rejected", "delisted"]
    checks: list[CheckOut] = Field(description="The automated checks of the last submission to the store")
    reason: str | None = Field(description="Why a moderator rejected or delisted it (or will delist it), for its builder")
    delist_at: datetime | None = Field(None, description="When a delisting announced to the builder takes effect")
    appealable: bool = Field(False, description="Whether the builder may still appeal the last decision")


class GptOut(BaseModel):
    id: str
    owner: PersonOut
    visibility: str
    allow_forks: bool
    forked_from: str | None
    published_version: int | None
    created_at: datetime
    updated_at: datetime
    can_edit: bool
    content: dict[str, Any] | None = Field(description="The live version; instructions blank when hidden from you")
    draft: dict[str, Any] | None = Field(description="The draft, for editors only")
    price_per_message: int | None = Field(description="What each message costs, in minor units (cents) of the store's credit currency; "
                                                      "null for a free GPT (set with PUT /api/gpts/{id}/price)")
    review: ReviewOut | None = Field(None, description="Where it stands with the store's review, for editors only")


class VersionOut(BaseModel):
    number: int
    note: str
    created_at: datetime
    author: PersonOut
    live: bool


class ChangeOut(BaseModel):
    path: str
    before: Any
    after: Any


class MyGptOut(BaseModel):
    id: str
    name: str
    avatar: str
    status: str = Field(description="draft (never published), published, or changed (draft differs from live)")
    visibility: str
    published_version: int | None
    updated_at: datetime
    forked_from: str | None


class ImportedOut(BaseModel):
    format: str
    ids: list[str]
    notes: list[str] = []  # what the file held that Agora did not carry over (bulk files)


class AvatarOut(BaseModel):
    avatar: str
