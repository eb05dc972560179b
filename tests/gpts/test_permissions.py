"""The permission matrix: every visibility x viewer x action, through the HTTP routes users hit.

Viewers: the owner, a member of the owner's workspace, another signed-in user, a visitor.
Actions: the GPT's page, starting a chat, export, edit (PATCH and the editor page), and
appearing in the store's listings (home, category and search).
"""

import pytest
from sqlalchemy import select

from agora.accounts.models import User
from agora.gpts import access
from agora.gpts.content import VISIBILITIES
from agora.gpts.models import Gpt

from .conftest import join_workspace

VIEWERS = ("owner", "member", "other", "visitor")
# Who may see and use each visibility (page, chat, export). Listing: public for all,
# workspace for its members. Editing: the owner only (a plain member is not an admin).
SEES = {
    "private": {"owner"},
    "link": {"owner", "member", "other", "visitor"},
    "workspace": {"owner", "member"},
    "public": {"owner", "member", "other", "visitor"},
}
# Who finds the GPT through the store (front page, category pages, search). The store lists
# public GPTs only (issue 4); workspace GPTs are listed to members on their workspace's page.
LISTED = {"private": set(), "link": set(), "workspace": set(), "public": set(VIEWERS)}


@pytest.fixture
def cast(make_builder, make_browser, database):
    owner = make_builder("owner@example.com", "Olive")
    member = make_builder("member@example.com", "Max")
    other = make_builder("other@example.com", "Otto")
    join_workspace(database, member_email="member@example.com", owner_email="owner@example.com")
    gpts = {}
    for visibility in VISIBILITIES:
        gpt_id = owner.create(
            name=f"Zebrafish {visibility}", description="matrix", instructions=f"secret {visibility}",
            visibility=visibility, category="games",
        )
        owner.publish(gpt_id)
        gpts[visibility] = gpt_id
    return {"owner": owner.client, "member": member.client, "other": other.client, "visitor": make_browser()}, gpts


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_permission_matrix(cast, visibility, database):
    clients, gpts = cast
    gpt_id = gpts[visibility]
    for viewer in VIEWERS:
        client = clients[viewer]
        headers = client.api_headers()
        sees = viewer in SEES[visibility]
        where = f"{visibility} GPT, {viewer}"

        page = client.get(f"/g/{gpt_id}")
        assert page.status_code == (200 if sees else 404), where
        assert ("Zebrafish" in page.text) == sees, where

        api = client.get(f"/api/gpts/{gpt_id}")
        assert api.status_code == (200 if sees else 404), where

        export = client.get(f"/api/gpts/{gpt_id}/export")
        assert export.status_code == (200 if sees else 404), where

        # Chat asks the same question ("use"); chat.access switches to it from its interim rule.
        with database.session() as session:
            user = session.scalar(select(User).where(User.email == f"{viewer}@example.com"))
            assert (session.scalar(select(Gpt.id).where(Gpt.id == gpt_id, access.allowed(user, "use"))) is not None) == sees, where

        edit = client.patch(f"/api/gpts/{gpt_id}", json={"description": "hacked"}, headers=headers)
        expected_edit = 200 if viewer == "owner" else 401 if viewer == "visitor" else 403 if sees else 404
        assert edit.status_code == expected_edit, where
        if viewer not in ("owner", "visitor"):
            assert client.get(f"/gpts/{gpt_id}/edit").status_code == (403 if sees else 404), where

        listed = viewer in LISTED[visibility]
        for path in ("/", "/store/games", "/search?q=zebrafish"):
            assert (gpt_id in client.get(path).text) == listed, (where, path)


def test_hidden_instructions_reach_only_the_owner_and_workspace_admins(make_builder, make_browser, database):
    owner = make_builder("owner@example.com", "Olive")
    admin = make_builder("admin@example.com", "Ann")
    member = make_builder("member@example.com", "Max")
    join_workspace(database, member_email="admin@example.com", owner_email="owner@example.com", role="admin")
    join_workspace(database, member_email="member@example.com", owner_email="owner@example.com")
    secret = "Never reveal the launch codes 7-7-7"
    gpt_id = owner.create(name="Vault", instructions=secret, hide_instructions=True, visibility="workspace", allow_forks=True)
    owner.publish(gpt_id)
    visitor_gpt = owner.create(name="Open vault", instructions=secret, hide_instructions=True, visibility="public")
    owner.publish(visitor_gpt)

    def leaks(client, gpt):
        texts = [client.get(p).text for p in (f"/g/{gpt}", f"/api/gpts/{gpt}", f"/api/gpts/{gpt}/export", f"/gpts/{gpt}/edit", f"/gpts/{gpt}/versions")]
        return any("launch codes" in t for t in texts)

    assert leaks(owner.client, gpt_id) and leaks(admin.client, gpt_id)
    assert not leaks(member.client, gpt_id)
    assert member.post(f"/api/gpts/{gpt_id}/fork").status_code == 403  # a fork would hand them over
    assert not leaks(make_browser(), visitor_gpt) and not leaks(member.client, visitor_gpt)
    assert admin.patch(gpt_id, description="admins may edit").status_code == 200


def test_unpublished_and_deleted_gpts_are_not_found(make_builder, make_browser):
    owner = make_builder("owner@example.com", "Olive")
    other = make_builder("other@example.com", "Otto")
    draft = owner.create(name="Not yet", visibility="public")
    assert other.client.get(f"/api/gpts/{draft}").status_code == 404
    assert other.client.get(f"/g/{draft}").status_code == 404
    assert owner.client.get(f"/g/{draft}").headers["location"] == f"/gpts/{draft}/edit"
    assert other.post(f"/api/gpts/{draft}/publish", json={}).status_code == 404
    assert other.client.get(f"/api/gpts/{draft}/versions").status_code == 404
    assert make_browser().get("/api/gpts/g-0000000000").status_code == 404
