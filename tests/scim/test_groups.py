"""SCIM Groups: members are the workspace's Users, and the groups mapped to roles set them, as sign-ins do."""

from __future__ import annotations

from scim2_models import Error, Group, GroupMember, PatchOp
from sqlalchemy import select

from agora.accounts.models import Membership
from agora.accounts.models import User as Account
from tests.scim.test_users import UserResource, person


def role(database, team_id: int, email: str) -> str | None:
    with database.session() as session:
        return session.scalar(select(Membership.role).join(Account, Account.id == Membership.user_id)
                              .where(Membership.workspace_id == team_id, Account.email == email))


def test_the_admins_group_makes_admins_and_leaving_it_makes_members(provisioned, database):
    client = provisioned.client
    bo, cy = client.create(person()), client.create(person("cy@acme.example.com"))
    admins = client.create(Group(display_name="Agora Admins", external_id="g-1", members=[GroupMember(value=bo.id)]))
    assert [m.value for m in admins.members] == [bo.id] and admins.members[0].display == "bo@acme.example.com"
    assert role(database, provisioned.team_id, "bo@acme.example.com") == "admin"
    assert [g.display for g in client.query(UserResource, bo.id).groups] == ["Agora Admins"]

    swap = PatchOp[Group].model_validate({"Operations": [
        {"op": "add", "path": "members", "value": [{"value": cy.id}]},
        {"op": "remove", "path": f'members[value eq "{bo.id}"]'},
    ]})
    client.modify(Group, admins.id, swap)
    assert (role(database, provisioned.team_id, "bo@acme.example.com"), role(database, provisioned.team_id, "cy@acme.example.com")) == ("member", "admin")

    renamed = client.query(Group, admins.id)
    renamed_body = renamed.model_dump()
    renamed_body["displayName"] = "Former Admins"
    assert provisioned.http.put(f"/Groups/{admins.id}", json=renamed_body).status_code == 200
    assert role(database, provisioned.team_id, "cy@acme.example.com") == "member"  # the new name maps to no role

    found = provisioned.http.get("/Groups", params={"filter": 'displayName eq "former admins"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == admins.id
    client.delete(Group, admins.id)
    assert client.query(UserResource, cy.id).groups in (None, [])


def test_the_owner_stays_owner_and_strangers_cannot_be_members(provisioned, database):
    client = provisioned.client
    owner = client.create(person("owner@acme.example.com"))  # the team's owner, provisioned after the fact
    client.create(Group(display_name="Everyone", members=[GroupMember(value=owner.id)]))
    assert role(database, provisioned.team_id, "owner@acme.example.com") == "owner"
    refused = client.create(Group(display_name="Ghosts", members=[GroupMember(value="no-such-user")]), raise_scim_errors=False)
    assert isinstance(refused, Error) and refused.status == 400 and "no User no-such-user" in refused.detail
