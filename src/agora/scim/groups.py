"""SCIM Groups: the identity provider's groups of a workspace's people, and the roles they give.

Members are the workspace's SCIM Users. When the workspace's single sign-on maps groups to
roles (`Agora Admins = admin`), every change of a group's name or members sets the role of
the people it touches, as their next sign-in would: admin when one of their groups maps to
admin, member otherwise (owners keep their role).
"""

from __future__ import annotations

import uuid
from typing import Any

from scim2_models import Context, Group, PatchOp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agora.accounts.models import User as Account
from agora.db import utcnow
from agora.scim.common import as_scim, meta
from agora.scim.errors import ScimError, not_found
from agora.scim.models import ScimGroup, ScimGroupMember, ScimUser
from agora.sso import providers
from agora.workspaces import members

NOT_STORED = {"id", "meta", "members"}


def get(session: Session, workspace_id: int, group_id: str) -> ScimGroup:
    row = session.get(ScimGroup, group_id)
    if row is None or row.workspace_id != workspace_id:
        raise not_found("Group", group_id)
    return row


def create(session: Session, *, workspace_id: int, resource: Group) -> ScimGroup:
    row = ScimGroup(id=str(uuid.uuid4()), workspace_id=workspace_id, version=0)
    _write(session, row, resource, before=set())
    return row


def replace(session: Session, row: ScimGroup, resource: Group) -> ScimGroup:
    _write(session, row, resource, before=_member_ids(session, row.id))
    return row


def patch(session: Session, row: ScimGroup, operations: PatchOp[Group], *, base_url: str) -> ScimGroup:
    resource = to_resource(session, row, base_url=base_url)
    try:
        operations.patch(resource)
    except ValueError as error:  # a value the patched resource cannot hold (scim2-models' SCIMException goes through as it is)
        raise ScimError(f"The patch cannot be applied: {error}", scim_type="invalidValue") from error
    return replace(session, row, resource)


def remove(session: Session, row: ScimGroup) -> None:
    before = _member_ids(session, row.id)
    workspace_id = row.workspace_id
    session.delete(row)
    session.flush()
    _settle_roles(session, workspace_id, before)


def to_resource(session: Session, row: ScimGroup, *, base_url: str) -> Group:
    people = session.execute(
        select(ScimUser.id, ScimUser.user_name).join(ScimGroupMember, ScimGroupMember.member_id == ScimUser.id)
        .where(ScimGroupMember.group_id == row.id).order_by(ScimUser.user_name)
    ).all()
    document = {**row.document, "id": row.id, "displayName": row.display_name, "meta": meta("Group", row, base_url),
                "members": [{"value": uid, "display": name, "type": "User", "$ref": f"{base_url}/Users/{uid}"} for uid, name in people]}
    return Group.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _member_ids(session: Session, group_id: str) -> set[str]:
    return set(session.scalars(select(ScimGroupMember.member_id).where(ScimGroupMember.group_id == group_id)))


def _write(session: Session, row: ScimGroup, resource: Group, *, before: set[str]) -> None:
    name = (resource.display_name or "").strip()
    if not name or len(name) > 255:
        raise ScimError("displayName is required (at most 255 characters).", scim_type="invalidValue")
    wanted = {m.value for m in resource.members or [] if m.value}
    if wanted:
        found = set(session.scalars(select(ScimUser.id).where(ScimUser.id.in_(wanted), ScimUser.workspace_id == row.workspace_id)))
        if missing := sorted(wanted - found):
            raise ScimError(f"members: no User {', '.join(missing[:5])} in this workspace (groups hold Users only).", scim_type="invalidValue")
    document = resource.model_dump(scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    row.display_name, row.external_id = name, resource.external_id
    row.document = {k: v for k, v in document.items() if k not in NOT_STORED}
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)  # a new group joins the session complete: the queries above would have flushed it half-written
    session.flush()
    if wanted != before:
        session.execute(delete(ScimGroupMember).where(ScimGroupMember.group_id == row.id, ScimGroupMember.member_id.in_(before - wanted)))
        session.add_all(ScimGroupMember(group_id=row.id, member_id=member) for member in sorted(wanted - before))
        session.flush()
    _settle_roles(session, row.workspace_id, before | wanted)


def _settle_roles(session: Session, workspace_id: int, scim_user_ids: set[str]) -> None:
    provider = providers.of_owner(session, workspace_id)
    mapping: dict[str, Any] = provider.group_roles if provider else {}
    if not mapping or not scim_user_ids:
        return  # roles are managed in Agora
    rows = session.execute(select(ScimUser.id, ScimUser.user_id).where(ScimUser.id.in_(scim_user_ids))).all()
    names: dict[str, set[str]] = {scim_id: set() for scim_id, _ in rows}
    for member_id, group_name in session.execute(
        select(ScimGroupMember.member_id, ScimGroup.display_name).join(ScimGroup, ScimGroup.id == ScimGroupMember.group_id)
        .where(ScimGroupMember.member_id.in_(scim_user_ids))
    ):
        names[member_id].add(group_name)
    for scim_id, user_id in rows:
        role = "admin" if any(mapping.get(name) == "admin" for name in names[scim_id]) else "member"
        _give(session, workspace_id, user_id, role)


def _give(session: Session, workspace_id: int, user_id: int, role: str) -> None:
    account = session.get(Account, user_id)
    assert account is not None
    as_scim(lambda: members.provision(session, workspace_id=workspace_id, user=account, role=role))
