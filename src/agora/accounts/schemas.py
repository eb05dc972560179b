"""JSON shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class SignupIn(BaseModel):
    email: str
    display_name: str
    password: str
    handle: str = ""
    language: str | None = None


class LoginIn(BaseModel):
    email: str
    password: str


class PasswordChangeIn(BaseModel):
    current_password: str
    new_password: str


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    handle: str
    role: str
    language: str | None
    created_at: datetime
