"""SCIM Users against Agora's /scim/v2 with the scim2 client models: created, found, replaced, patched
(as Entra ID and Okta write their patches), deactivated and deleted, every refusal in SCIM's shape."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from scim2_models import Email, EnterpriseUser, Error, Name, PatchOp, SCIMException, SearchRequest, User
from sqlalchemy import func, select

from agora.accounts.models import Membership
from agora.accounts.models import User as Account
from agora.scim.models import ScimUser
from agora.store import search as store_search
from agora.store.models import Listing
from tests.store.helpers import publish

UserResource = User[EnterpriseUser]


def person(user_name: str = "bo@acme.example.com", **fields) -> UserResource:
    return UserResource(user_name=user_name, name=Name(given_name="Bo", family_name="Jones"),
                        emails=[Email(value=user_name, primary=True, type="work")], active=True, **fields)


def account(database, email: str) -> Account | None:
    with database.session() as session:
        return session.scalar(select(Account).where(Account.email == email))


def test_a_created_user_is_an_account_and_a_member_found_by_its_user_name(provisioned, database):
    extension = EnterpriseUser(department="Sales", employee_number="42")
    created = provisioned.client.create(person(external_id="okta-1", **{"EnterpriseUser": extension}))
    assert created.id and created.meta.version == 'W/"1"' and created.meta.location.endswith(f"/scim/v2/Users/{created.id}")
    assert created[EnterpriseUser].department == "Sales"
    bo = account(database, "bo@acme.example.com")
    assert bo.display_name == "Bo Jones" and bo.password_hash is None and bo.deactivated_at is None
    with database.session() as session:
        assert session.scalar(select(Membership.role).where(Membership.workspace_id == provisioned.team_id, Membership.user_id == bo.id)) == "member"

    assert provisioned.client.query(UserResource, created.id).user_name == "bo@acme.example.com"
    found = provisioned.client.query(UserResource, query_parameters=SearchRequest(filter='userName eq "BO@acme.example.com"'))
    assert found.total_results == 1 and found.resources[0].id == created.id
    by_external = provisioned.client.query(UserResource, query_parameters=SearchRequest(filter='externalId eq "okta-1"'))
    assert [r.id for r in by_external.resources] == [created.id]
    by_name = provisioned.client.query(UserResource, query_parameters=SearchRequest(filter='name.givenName eq "Bo" and active eq true'))
    assert [r.id for r in by_name.resources] == [created.id]  # evaluated resource by resource


def test_pages_of_users(provisioned):
    for n in range(5):
        provisioned.client.create(person(f"p{n}@acme.example.com"))
    page = provisioned.client.query(UserResource, query_parameters=SearchRequest(start_index=2, count=2))
    assert (page.total_results, page.start_index, page.items_per_page) == (5, 2, 2)
    assert [r.user_name for r in page.resources] == ["p1@acme.example.com", "p2@acme.example.com"]
    assert provisioned.client.query(UserResource, query_parameters=SearchRequest(count=0)).total_results == 5


def test_replacing_renames_and_moves_the_account(provisioned, database):
    created = provisioned.client.create(person())
    replacement = UserResource(id=created.id, user_name="bo@acme.example.com", name=Name(formatted="Bo Jones-Smith"),
                               display_name="Bo J. Smith", emails=[Email(value="bo.smith@acme.example.com", primary=True)])
    replaced = provisioned.client.replace(replacement)
    assert replaced.meta.version == 'W/"2"' and replaced.display_name == "Bo J. Smith"
    moved = account(database, "bo.smith@acme.example.com")
    assert moved is not None and moved.display_name == "Bo J. Smith" and account(database, "bo@acme.example.com") is None


@pytest.mark.parametrize("operations", [
    [{"op": "Replace", "path": "active", "value": "False"}],  # Entra ID: capitalised op, a string for the boolean
    [{"op": "replace", "value": {"active": False}}],  # Okta: no path, a partial resource
])
def test_deactivation_by_patch_and_back(operations, provisioned, database):
    created = provisioned.client.create(person())
    patched = provisioned.http.patch(f"/Users/{created.id}", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                                    "Operations": operations})
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert account(database, "bo@acme.example.com").deactivated_at is not None
    back = provisioned.client.modify(UserResource, created.id, PatchOp[UserResource].model_validate(
        {"Operations": [{"op": "replace", "path": "active", "value": True}]}))
    assert back.active is True and account(database, "bo@acme.example.com").deactivated_at is None


def test_deleting_a_user_turns_the_account_off_and_takes_it_out_of_the_team(provisioned, database):
    created = provisioned.client.create(person())
    provisioned.client.delete(UserResource, created.id)
    bo = account(database, "bo@acme.example.com")
    assert bo.deactivated_at is not None
    with database.session() as session:
        assert session.scalar(select(Membership.id).where(Membership.workspace_id == provisioned.team_id, Membership.user_id == bo.id)) is None
    gone = provisioned.http.get(f"/Users/{created.id}")
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/scim+json")
    assert gone.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_refusals_say_why_in_scims_shape(provisioned, server, database):
    client, http = provisioned.client, provisioned.http
    with pytest.raises(SCIMException, match="verified domains"):
        client.create(person("mallory@other.example.org"))
    client.create(person())
    duplicate = client.create(person(), raise_scim_errors=False)
    assert isinstance(duplicate, Error) and duplicate.status == 409 and duplicate.scim_type == "uniqueness"
    not_json = http.post("/Users", content=b"{not json", headers={"Content-Type": "application/scim+json"})
    assert not_json.status_code == 400 and not_json.json()["scimType"] == "invalidSyntax"
    no_name = http.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "emails": [{"value": "x@acme.example.com"}]})
    assert no_name.status_code == 400 and no_name.json()["scimType"] == "invalidValue"
    bad_filter = http.get("/Users", params={"filter": 'userName eq "unclosed'})
    assert bad_filter.status_code == 400 and bad_filter.json()["scimType"] == "invalidFilter"
    [bo] = client.query(UserResource).resources
    stale = http.put(f"/Users/{bo.id}", json=bo.model_dump(), headers={"If-Match": 'W/"0"'})
    assert stale.status_code == 412
    import httpx2

    for authorization in (None, "Bearer agora-scim-forged", f"Basic {provisioned.token}"):
        headers = {"Authorization": authorization} if authorization else {}
        answer = httpx2.get(f"{server.url}/scim/v2/Users", headers=headers)
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer"), authorization
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ScimUser)) == 1


def test_a_revoked_token_provisions_nothing_more(provisioned):
    page = provisioned.owner.browser.get(f"/workspaces/{provisioned.team_id}/scim")
    assert "Okta" in page.text and provisioned.token not in page.text  # shown once, never again
    import re

    token_id = re.search(r"/scim/tokens/(\d+)/revoke", page.text).group(1)
    revoked = provisioned.owner.browser.submit(f"/workspaces/{provisioned.team_id}/scim/tokens/{token_id}/revoke", {},
                                               form_page=f"/workspaces/{provisioned.team_id}/scim")
    assert revoked.status_code == 303
    assert provisioned.http.get("/Users").status_code == 401


def test_twelve_creations_of_one_person_at_once_make_one(provisioned, database):
    body = person().model_dump()
    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(lambda _: provisioned.http.post("/Users", json=body).status_code, range(12)))
    assert statuses == [201] + [409] * 11
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ScimUser)) == 1
        assert session.scalar(select(func.count()).select_from(Account).where(Account.email == "bo@acme.example.com")) == 1


def test_a_renamed_builder_is_renamed_on_their_store_listings(provisioned, database):
    created = provisioned.client.create(person())
    gpt_id = publish(database, "Tide Tables", owner_email="bo@acme.example.com")
    provisioned.client.replace(UserResource(id=created.id, user_name="bo@acme.example.com", display_name="Bo Marchetti",
                                            emails=[Email(value="bo@acme.example.com", primary=True)]))
    with database.session() as session:
        assert session.scalar(select(Listing.builder_name).where(Listing.gpt_id == gpt_id)) == "Bo Marchetti"
        found = store_search.search(session, "Marchetti", limit=10).listings  # the builder's name is in the search text
    assert [listing.gpt_id for listing in found] == [gpt_id]
