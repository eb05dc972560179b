"""Non-public GPTs never appear on any discovery path; leaving the store is immediate."""

import re

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.store import trending
from tests.store.helpers import publish


def discovery_text(browser, handle: str, other_gpt: str) -> str:
    """Everything a visitor can reach that lists GPTs, concatenated."""
    pages = [
        browser.get("/api/store/search", params={"q": "zebracorn"}).text,
        browser.get("/api/store/search", params={"q": "zebracorn", "sort": "newest"}).text,
        browser.get("/api/store/suggest", params={"q": "zebra"}).text,
        browser.get("/search", params={"q": "zebracorn"}).text,
        browser.get("/").text,
        browser.get("/store/productivity").text,
        browser.get("/store/productivity", params={"sort": "newest"}).text,
        browser.get(f"/builders/{handle}").text,
        browser.get(f"/g/{other_gpt}").text,  # more by this builder, similar GPTs
    ]
    return "\n".join(pages)


def test_only_public_gpts_are_discoverable(database, make_browser):
    shown = publish(database, "Zebracorn Public", tags=["zebracorn"])
    hidden = {
        visibility: publish(database, f"Zebracorn {visibility.title()}", visibility=visibility, tags=["zebracorn"])
        for visibility in ("private", "link", "workspace")
    }
    deleted = publish(database, "Zebracorn Deleted", tags=["zebracorn"])
    with database.session() as session:
        gpts.delete_gpt(session, session.get(Gpt, deleted))
        owner = accounts.user_by_email(session, "maker@example.com")
        draft_only = gpts.create_gpt(session, owner=owner, workspace_id=accounts.personal_workspace_id(session, owner),
                                     content=GptContent(name="Zebracorn Draft", tags=["zebracorn"]), visibility="public")
        for gpt_id in [shown, deleted, *hidden.values()]:  # even heavy usage cannot pull them in
            trending.add_activity(session, gpt_id, day=trending.EPOCH, new_users=50, new_conversations=50, messages=500)
        handle = owner.handle
    other = publish(database, "Another Helper", tags=["zebracorn"])

    for viewer in (make_browser(), make_browser()):
        text = discovery_text(viewer, handle, other)
        assert "Zebracorn Public" in text
        for name in ("Zebracorn Private", "Zebracorn Link", "Zebracorn Workspace", "Zebracorn Deleted", "Zebracorn Draft"):
            assert name not in text, name
        for gpt_id in [*hidden.values(), deleted, draft_only.id]:
            assert gpt_id not in text


def test_a_gpt_leaves_every_path_when_made_private(database, browser):
    gpt_id = publish(database, "Zebracorn Soon Private", tags=["zebracorn"])
    assert "Zebracorn Soon Private" in browser.get("/api/store/search", params={"q": "zebracorn"}).text
    with database.session() as session:
        gpts.update_draft(session, session.get(Gpt, gpt_id), visibility="private")
    assert browser.get("/api/store/search", params={"q": "zebracorn"}).json()["items"] == []
    assert browser.get("/api/store/suggest", params={"q": "zebrac"}).json() == []
    assert "Zebracorn Soon Private" not in browser.get("/store/productivity").text
    assert browser.get(f"/g/{gpt_id}").status_code == 404


def test_featuring_needs_a_public_gpt(database, make_browser):
    private = publish(database, "Zebracorn Private", visibility="private")
    with database.session() as session:
        accounts.create_user(session, email="root@example.com", display_name="Root", password="a long admin password", role="admin")
    admin = make_browser()
    admin.login(email="root@example.com", password="a long admin password")
    refused = admin.submit("/admin/featured", {"week": "2026-W47", "gpt_id": private}, form_page="/admin/featured")
    assert refused.status_code == 422 and "Zebracorn Private is not listed in the store" in refused.text
    assert re.search("Zebracorn", make_browser().get("/store/featured/2026-W47").text) is None
