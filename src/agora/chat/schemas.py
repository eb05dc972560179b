"""JSON shapes of the chat API. Nothing here carries a GPT's instructions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from agora.inputs import Text
from agora.replies.request import Timezone


class ConversationIn(BaseModel):
    gpt_id: Text = Field(max_length=40)


class MessageIn(BaseModel):
    content: Text
    # Another GPT to answer this one message (the composer's @-mention).
    mention: Text | None = Field(None, max_length=40)
    timezone: Timezone = "UTC"  # the sender's, for the GPT's tools that tell the time


class EditIn(BaseModel):
    content: Text
    timezone: Timezone = "UTC"


class ConfirmIn(BaseModel):
    allow: bool  # true: make the calls the reply waits for; false: the model is told they were declined
    # With allow: also allow these operations of this GPT from now on, without asking (422 when one is consequential).
    always: bool = False


class SignInOut(BaseModel):
    url: str  # where the sign-in starts (add `next`, the page to come back to)
    host: str  # the provider's host: "Sign in to <host>"


class ToolCallAskedOut(BaseModel):
    name: str
    title: str
    server: str
    arguments: str  # as shown to the person (indented JSON, cut at 2,000 characters)
    sign_in: SignInOut | None = None  # the person must sign in there first (an OAuth action)
    consequential: bool | None = None  # with sign_in: whether the call also needs Allow once signed in
    can_always_allow: bool = False  # the call changes nothing: "Always allow" may be chosen for it


class LinkOut(BaseModel):
    title: str
    url: str


class ToolUseOut(BaseModel):
    name: str
    summary: str
    ok: bool
    sources: list[LinkOut] = Field(default_factory=list)  # the pages the call drew on (web search results, a map)


class RenameIn(BaseModel):
    title: Text


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: str
    content: str
    status: str
    error: str
    gpt_id: str | None
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    # The model's, for a complete reply: "length" when the token limit cut it (POST .../continue goes on);
    # "content_filter" for a reply the instruction-leak filter stopped (status "stopped", `error` says why).
    finish_reason: str | None = None
    omitted_messages: int
    tool_uses: list[ToolUseOut] | None = None  # the GPT's tools the reply used
    confirm: list[ToolCallAskedOut] = Field(default_factory=list)  # while `waiting`: the calls to allow or deny
    created_at: datetime


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    gpt_id: str
    title: str
    shared: bool = False
    created_at: datetime
    updated_at: datetime


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class ShareOut(BaseModel):
    url: str


class MentionOut(BaseModel):
    id: str
    name: str
