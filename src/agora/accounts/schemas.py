"""JSON shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agora.inputs import Text


class SignupIn(BaseModel):
    email: Text
    display_name: Text
    password: Text
    handle: Text = ""
    language: Text | None = None


class LoginIn(BaseModel):
    email: Text
    password: Text


class PasswordChangeIn(BaseModel):
    current_password: Text
    new_password: Text


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    handle: str
    role: str
    language: str | None
    created_at: datetime
    email_verified: bool = Field(validation_alias="email_verified_at")

    @field_validator("email_verified", mode="before")
    @classmethod
    def _verified(cls, value: object) -> bool:
        return value is not None and value is not False  # the account's email_verified_at, a moment or None
