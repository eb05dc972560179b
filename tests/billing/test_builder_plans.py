"""The plan's builder entitlements: creating GPTs and publishing them to the store, on pages and the JSON API."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from agora.billing.plans import edit_plan
from agora.gpts.models import Gpt
from agora.store.models import Listing
from tests.billing.conftest import put_on_plan, signed_up


def _api(client, method: str, path: str, body: dict | None = None):
    return client.browser.request(method, path, json=body, headers=client.headers)


def _gpt_count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Gpt))


def _listed(database, gpt_id: str) -> bool:
    with database.session() as session:
        return session.scalar(select(Listing.gpt_id).where(Listing.gpt_id == gpt_id)) is not None


def test_free_builders_share_by_link_but_publishing_to_the_store_needs_plus(no_trial, database, make_browser):
    free = signed_up(make_browser, "free@example.com")

    refused = _api(free, "POST", "/api/gpts", {"name": "Tax Helper", "visibility": "public"})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "plan_required" and error["plan"] == "plus" and error["upgrade_url"] == "/pricing"
    assert error["field"] == "visibility" and "Plus" in error["message"] and "Free" in error["message"]
    assert _gpt_count(database) == 0  # nothing half-written

    created = _api(free, "POST", "/api/gpts", {"name": "Tax Helper", "visibility": "link"})
    assert created.status_code == 201
    gpt_id = created.json()["id"]
    assert _api(free, "POST", f"/api/gpts/{gpt_id}/publish", {}).status_code == 200  # shared by link: allowed

    made_public = _api(free, "PATCH", f"/api/gpts/{gpt_id}", {"visibility": "public", "description": "new words"})
    assert made_public.status_code == 403 and made_public.json()["error"]["code"] == "plan_required"
    with database.session() as session:  # the refused edit changed nothing, not even the draft
        gpt = session.get(Gpt, gpt_id)
        assert gpt.visibility == "link" and gpt.draft["description"] == ""
    assert not _listed(database, gpt_id)

    put_on_plan(database, "free@example.com", "plus")
    assert _api(free, "PATCH", f"/api/gpts/{gpt_id}", {"visibility": "public"}).status_code == 200
    assert _api(free, "POST", f"/api/gpts/{gpt_id}/publish", {}).status_code == 200
    assert _listed(database, gpt_id)


def test_a_lapsed_plan_keeps_the_listing_but_publishes_no_new_version_to_the_store(no_trial, database, make_browser):
    builder = signed_up(make_browser, "maker@example.com")
    put_on_plan(database, "maker@example.com", "plus")
    gpt_id = _api(builder, "POST", "/api/gpts", {"name": "Poem Helper", "visibility": "public"}).json()["id"]
    assert _api(builder, "POST", f"/api/gpts/{gpt_id}/publish", {}).json()["version"] == 1

    put_on_plan(database, "maker@example.com", "free")
    assert _api(builder, "PATCH", f"/api/gpts/{gpt_id}", {"description": "still editable"}).status_code == 200
    refused = _api(builder, "POST", f"/api/gpts/{gpt_id}/publish", {})
    assert refused.status_code == 403 and refused.json()["error"]["plan"] == "plus"
    rollback = _api(builder, "POST", f"/api/gpts/{gpt_id}/rollback", {"version": 1})
    assert rollback.status_code == 403
    with database.session() as session:
        assert session.get(Gpt, gpt_id).published_version == 1
    assert _listed(database, gpt_id)  # what was listed stays listed

    assert _api(builder, "PATCH", f"/api/gpts/{gpt_id}", {"visibility": "link"}).status_code == 200
    assert _api(builder, "POST", f"/api/gpts/{gpt_id}/publish", {}).json()["version"] == 2
    assert not _listed(database, gpt_id)


def test_a_plan_without_creating_gpts_refuses_every_way_of_making_one(no_trial, database, make_browser):
    builder = signed_up(make_browser, "maker@example.com")
    put_on_plan(database, "maker@example.com", "plus")
    source = _api(builder, "POST", "/api/gpts", {"name": "Forkable", "visibility": "public", "allow_forks": True}).json()["id"]
    _api(builder, "POST", f"/api/gpts/{source}/publish", {})
    exported = builder.browser.get(f"/api/gpts/{source}/export").json()
    with database.session() as session:
        edit_plan(session, "plus", entitlements_patch={"create_gpts": False})
    before = _gpt_count(database)

    for response in (
        _api(builder, "POST", "/api/gpts", {"name": "Another"}),
        _api(builder, "POST", f"/api/gpts/{source}/fork"),
        builder.browser.post("/api/gpts/import", content=json.dumps(exported), headers=builder.headers),
    ):
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert error["code"] == "plan_required" and "Creating GPTs needs" in error["message"]
    page = builder.browser.submit("/gpts/new", {"name": "From the page", "category": "writing", "visibility": "private"},
                                  form_page="/gpts/new")
    assert page.status_code == 403 and "Creating GPTs needs" in page.text and 'href="/pricing"' in page.text
    assert _gpt_count(database) == before


def test_the_editor_shows_the_refusal_on_the_sharing_field_with_the_plans_link(no_trial, database, make_browser):
    free = signed_up(make_browser, "free@example.com")
    page = free.browser.submit("/gpts/new", {"name": "Public Try", "category": "writing", "visibility": "public", "action": "publish"},
                               form_page="/gpts/new")
    assert page.status_code == 403
    assert 'id="visibility-error"' in page.text and "needs the Plus plan" in page.text and 'href="/pricing"' in page.text
    assert 'value="Public Try"' in page.text  # what was typed is kept
    assert _gpt_count(database) == 0
