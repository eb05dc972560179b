"""The first step of a reply: may this person ask this GPT, under their plan?

A refusal raises before anything is stored or sent: NotFound for a GPT they may not use
(which tells nobody that a private GPT exists), PlanRequired. The message quota is counted
by prepare.py once nothing else can refuse the reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.billing import entitlements
from agora.billing.entitlements import PlanInForce
from agora.config import Settings
from agora.gpts import access
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.replies.request import ReplyRequest


@dataclass(frozen=True)
class Admitted:
    gpt: Gpt | None  # None: a base model
    content: GptContent | None  # the GPT's content in use: its published version, or its draft in the preview
    in_force: PlanInForce
    workspace_id: int | None  # what the usage is metered against


def admit(session: Session | None, request: ReplyRequest, settings: Settings) -> Admitted:
    """Check `request`; `session` may be None only for a base model with the caller's plan known."""
    if request.gpt_id is None:
        assert request.in_force is not None, "a base model is reached through /v1, which knows the caller's plan"
        return Admitted(None, None, request.in_force, request.workspace_id)
    assert session is not None
    user = request.user
    if request.draft:
        gpt = access.find(session, request.gpt_id, user, "edit")
        content: GptContent | None = GptContent.model_validate(gpt.draft)
    else:
        gpt = access.find_usable(session, request.gpt_id, user, field=request.gpt_field)
        content = gpts.published_content(session, gpt)
    assert content is not None  # find_usable finds published GPTs only
    in_force = _checked_plan(session, request, gpt, settings)
    workspace_id = request.workspace_id
    if workspace_id is None:
        workspace_id = in_force.workspace_id if in_force.workspace_id is not None else accounts.personal_workspace_id(session, user)
    return Admitted(gpt, content, in_force, workspace_id)


def _checked_plan(session: Session, request: ReplyRequest, gpt: Gpt, settings: Settings) -> PlanInForce:
    """The plan in force, checked for this GPT (a store GPT by another builder needs a plan that allows it)."""
    if request.in_force is not None:
        entitlements.check_use_under(session, request.user, gpt, request.in_force)
        return request.in_force
    return entitlements.check_use(session, request.user, gpt, settings)
