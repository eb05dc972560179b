"""SCIM Users: the identity provider creates, replaces, patches and deletes a workspace's people.

A SCIM User is an Agora account at one of the workspace's verified email domains (the
provider may not create or claim anyone else's), a member of the workspace. `active:
false` deactivates the account (sessions end, password and API keys are refused) and
`true` turns it on again; deleting the User deactivates the account and takes it out of
the workspace. What Agora does not act on is kept as the provider wrote it.
"""

from __future__ import annotations

import uuid

from scim2_models import Context, EnterpriseUser, PatchOp, User
from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.accounts import validation
from agora.accounts.models import User as Account
from agora.audit import chain as audit
from agora.db import utcnow
from agora.errors import AgoraError
from agora.inventory import service as inventory
from agora.scim.common import as_scim, meta
from agora.scim.errors import ScimError, not_found
from agora.scim.models import ScimGroup, ScimGroupMember, ScimUser
from agora.sso import domains
from agora.workspaces import members

UserResource = User[EnterpriseUser]
BY = "scim"  # who the audit log says acted: the workspace's identity provider
NOT_STORED = {"id", "meta", "groups", "password"}  # Agora's own, computed, or never kept


def get(session: Session, workspace_id: int, user_id: str) -> ScimUser:
    row = session.get(ScimUser, user_id)
    if row is None or row.workspace_id != workspace_id:
        raise not_found("User", user_id)
    return row


def create(session: Session, *, workspace_id: int, resource: UserResource) -> ScimUser:
    fields = _fields(session, workspace_id, resource, row=None)
    account = accounts.user_by_email(session, fields["email"])
    if account is not None and session.scalar(select(ScimUser.id).where(ScimUser.workspace_id == workspace_id, ScimUser.user_id == account.id)):
        raise ScimError(f"{fields['email']} is already provisioned in this workspace.", status=409, scim_type="uniqueness")
    if account is None:
        account = as_scim(lambda: accounts.create_user(session, email=fields["email"], display_name=fields["display_name"], password=None))
    as_scim(lambda: members.provision(session, workspace_id=workspace_id, user=account, role=None, by_label=BY))
    row = ScimUser(id=str(uuid.uuid4()), workspace_id=workspace_id, user_id=account.id, version=0)
    _write(session, row, account, resource, fields)
    return row


def replace(session: Session, row: ScimUser, resource: UserResource) -> ScimUser:
    fields = _fields(session, row.workspace_id, resource, row=row)
    account = session.get(Account, row.user_id)
    assert account is not None
    as_scim(lambda: accounts.update_identity(session, account, email=fields["email"], display_name=fields["display_name"]))
    _write(session, row, account, resource, fields)
    return row


def patch(session: Session, row: ScimUser, operations: PatchOp[UserResource], *, base_url: str) -> ScimUser:
    resource = to_resource(session, row, base_url=base_url)
    try:
        operations.patch(resource)
    except ValueError as error:  # a value the patched resource cannot hold (scim2-models' SCIMException goes through as it is)
        raise ScimError(f"The patch cannot be applied: {error}", scim_type="invalidValue") from error
    return replace(session, row, resource)


def remove(session: Session, row: ScimUser) -> None:
    """The person left: their account is turned off and leaves the workspace (an owner, the last, stays owner)."""
    account = session.get(Account, row.user_id)
    assert account is not None
    _deactivate(session, row.workspace_id, account)
    members.unprovision(session, workspace_id=row.workspace_id, user_id=account.id, by_label=BY)
    session.delete(row)


def to_resource(session: Session, row: ScimUser, *, base_url: str) -> UserResource:
    groups = session.execute(
        select(ScimGroup.id, ScimGroup.display_name).join(ScimGroupMember, ScimGroupMember.group_id == ScimGroup.id)
        .where(ScimGroupMember.member_id == row.id).order_by(ScimGroup.display_name)
    ).all()
    document = {**row.document, "id": row.id, "userName": row.user_name, "active": row.active,
                "groups": [{"value": gid, "display": name, "$ref": f"{base_url}/Groups/{gid}"} for gid, name in groups],
                "meta": meta("User", row, base_url)}
    return UserResource.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _fields(session: Session, workspace_id: int, resource: UserResource, *, row: ScimUser | None) -> dict[str, str]:
    """What Agora acts on: the account's email (at a verified domain) and name, and a userName free in the workspace."""
    user_name = (resource.user_name or "").strip()
    if not user_name or len(user_name) > 254:
        raise ScimError("userName is required (at most 254 characters).", scim_type="invalidValue")
    taken = session.scalar(select(ScimUser.id).where(ScimUser.workspace_id == workspace_id, ScimUser.user_name_key == user_name.lower()))
    if taken is not None and (row is None or taken != row.id):
        raise ScimError(f"userName {user_name} is already provisioned in this workspace.", status=409, scim_type="uniqueness")
    try:
        email = validation.clean_email(_email_of(resource, user_name))
    except AgoraError:
        raise ScimError("The user needs an email address: a primary or work entry of emails, or a userName that is one.",
                        scim_type="invalidValue") from None
    if not domains.verified_for(session, workspace_id, email):
        raise ScimError(f"{email} is not at one of this workspace's verified domains: verify {domains.domain_of(email)} "
                        "in the workspace's single sign-on settings first.", scim_type="invalidValue")
    name = resource.name
    given = " ".join(part for part in (name.given_name, name.family_name) if part) if name else ""
    display = resource.display_name or (name.formatted if name else None) or given or email.split("@")[0]
    return {"user_name": user_name, "email": email, "display_name": " ".join(display.split())[:80]}


def _email_of(resource: UserResource, user_name: str) -> str:
    emails = [e for e in resource.emails or [] if e.value]
    chosen = next((e for e in emails if e.primary), None) or next((e for e in emails if str(e.type or "") == "work"), None)
    chosen = chosen or (emails[0] if emails else None)
    return chosen.value if chosen and chosen.value else user_name


def _write(session: Session, row: ScimUser, account: Account, resource: UserResource, fields: dict[str, str]) -> None:
    active = resource.active is not False  # absent means active (RFC 7643: the provider decides)
    if not active:
        _deactivate(session, row.workspace_id, account)
    elif account.deactivated_at is not None:
        accounts.reactivate(account)
        audit.record(session, "user.reactivated", actor_label=BY, workspace_id=row.workspace_id, target_type="user", target_id=account.id,
                     details={"email": account.email})
    document = resource.model_dump(scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    row.user_name, row.user_name_key, row.external_id = fields["user_name"], fields["user_name"].lower(), resource.external_id
    row.active = active
    row.document = {k: v for k, v in document.items() if k not in NOT_STORED}
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)  # a new user joins the session complete: deactivating above would have flushed it half-written
    session.flush()


def _deactivate(session: Session, workspace_id: int, account: Account) -> None:
    if account.deactivated_at is None:
        ended = accounts.deactivate(session, account)
        inventory.hand_over(session, workspace_id, account.id, reason="deactivated")
        audit.record(session, "user.deactivated", actor_label=BY, workspace_id=workspace_id, target_type="user", target_id=account.id,
                     details={"email": account.email, "sessions_ended": ended})
    else:
        accounts.deactivate(session, account)  # sessions started since (there should be none) end too
