"""A workspace's own store: its members see the GPTs shared in it, in the categories and featured
picks its admins chose; outsiders see nothing, members cannot arrange it, bad input is refused."""

from __future__ import annotations

import re

from sqlalchemy import select

from agora.accounts import service as accounts
from agora.audit.models import AuditEntry
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.team_store.models import TeamStoreCategory
from tests.team_store.conftest import put_on_plan, signed_up


def _gpt(database, email: str, workspace_id: int, name: str, visibility: str = "workspace") -> str:
    with database.session() as session:
        user = accounts.user_by_email(session, email)
        gpt = gpts.create_gpt(session, owner=user, workspace_id=workspace_id, visibility=visibility,
                              content=GptContent(name=name, description=f"About {name}", instructions="i", welcome_message="w"))
        gpts.publish(session, gpt, author=user)
        return gpt.id


def _section(page: str, marker: str) -> str:
    match = re.search(rf'<section[^>]*{marker}[^>]*>(.*?)</section>', page, re.S)
    return match.group(1) if match else ""


def test_members_browse_the_store_its_admins_arrange(no_trial, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Walrus"}, headers=owner.headers).json()["id"]
    put_on_plan(database, "owner@example.com", "team", seats=3)
    bo = signed_up(make_browser, "bo@example.com")
    link = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "bo@example.com"}, headers=owner.headers).json()["url"]
    assert bo.browser.post(f"/api/invites/{link.rsplit('/', 1)[1]}/accept", headers=bo.headers).status_code == 200
    handbook, pricing = _gpt(database, "owner@example.com", team_id, "Handbook"), _gpt(database, "owner@example.com", team_id, "Pricing")
    secret = _gpt(database, "owner@example.com", team_id, "Owner's drafts", visibility="private")

    store = f"/workspaces/{team_id}/store"
    assert owner.browser.submit(f"{store}/categories", {"name": "  People  ops "}, form_page=store).status_code == 303
    taken = owner.browser.submit(f"{store}/categories", {"name": "People ops"}, form_page=store)
    assert taken.status_code == 409 and 'id="name-error"' in taken.text
    assert owner.browser.submit(f"{store}/categories", {"name": ""}, form_page=store).status_code == 422
    with database.session() as session:
        people = session.scalar(select(TeamStoreCategory.id).where(TeamStoreCategory.name == "People ops"))
    placed = owner.browser.submit(f"{store}/place", {"gpt_id": handbook, "category": str(people), "featured": "on"}, form_page=store)
    assert placed.status_code == 303

    page = bo.browser.get(store)
    assert page.status_code == 200
    assert f"/g/{handbook}" in _section(page.text, "data-team-featured")
    assert f"/g/{handbook}" in _section(page.text, 'data-team-category="People ops"')
    assert f"/g/{pricing}" in _section(page.text, 'data-team-category=""') and f"/g/{pricing}" not in _section(page.text, "data-team-featured")
    assert secret not in page.text  # private: not shared in the workspace
    assert "Arrange the store" not in page.text  # members browse; managers arrange
    assert bo.browser.submit(f"{store}/place", {"gpt_id": pricing, "featured": "on"}, form_page=store).status_code == 403
    assert bo.browser.submit(f"{store}/categories", {"name": "Mine"}, form_page=store).status_code == 403

    elsewhere = _gpt(database, "bo@example.com", accounts_personal(database, "bo@example.com"), "Bo's own")
    assert owner.browser.submit(f"{store}/place", {"gpt_id": elsewhere, "featured": "on"}, form_page=store).status_code == 404
    outsider = signed_up(make_browser, "eve@example.com")
    assert outsider.browser.get(store).status_code == 404
    with database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == team_id, AuditEntry.action.startswith("store."))).all()
        assert actions == ["store.category_added", "store.gpt_placed"]


def accounts_personal(database, email: str) -> int:
    with database.session() as session:
        return accounts.personal_workspace_id(session, accounts.user_by_email(session, email))
