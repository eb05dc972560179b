"""Featured picks only from listed GPTs of verified builders, builders' requests to be featured, and the admin's
picker (issue 21 item 8, issue 20's "featured picks are chosen by pasting ids"), over HTTP on both databases."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from agora.accounts import service as accounts
from agora.audit.models import AuditEntry
from agora.store import featured
from agora.store.models import FeaturedRequest, Listing
from tests.gpts.conftest import Builder
from tests.store.helpers import verify_builder

WEEK = "{}-W{:02d}".format(*featured.current_week())


@pytest.fixture
def admin(database, make_browser):
    with database.session() as session:
        accounts.create_user(session, email="root@example.com", display_name="Root", password="a long admin password", role="admin")
    client = make_browser()
    assert client.login(email="root@example.com", password="a long admin password").status_code == 303
    return client


@pytest.fixture
def builder(make_browser):
    def factory(email: str, name: str) -> Builder:
        return Builder(make_browser(), email, name)

    return factory


def listed(builder: Builder, name: str, **fields) -> str:
    gpt_id = builder.create(name=name, visibility="public", description=f"{name} for everyone", **fields)
    builder.publish(gpt_id)
    return gpt_id


def front_picks(client) -> list[str]:
    page = client.get("/").text
    part = page.split('id="featured"', 1)[1].split("</section>", 1)[0] if 'id="featured"' in page else ""
    return re.findall(r'<strong class="(?:card|hero)-name">([^<]+)</strong>', part)


def pick(admin, gpt_id: str, week: str = WEEK, **more):
    return admin.submit("/admin/featured", {"week": week, "gpt_id": gpt_id, "action": "pick", **more}, form_page="/admin/featured")


def actions(database, gpt_id: str) -> list[str]:
    """The audit log's entries about featuring this GPT, in order."""
    with database.session() as session:
        found = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == gpt_id).order_by(AuditEntry.seq))
        return [action for action in found if action.startswith(("admin.", "featured."))]


def test_only_listed_gpts_of_verified_builders_can_be_picked(database, admin, builder, browser):
    eve = builder("eve@example.com", "Eve")
    unverified = listed(eve, "Unverified Umbrella")
    refused = pick(admin, unverified)
    assert refused.status_code == 422 and "Eve has not verified a website domain" in refused.text
    assert "builder profile (/account/builder)" in refused.text  # the fix, with the reason

    verify_builder(database, "eve@example.com")
    private = eve.create(name="Private Parasol", visibility="private")
    eve.publish(private)
    refused = pick(admin, private)
    assert refused.status_code == 422 and "Private Parasol is not listed in the store" in refused.text
    unknown = pick(admin, "g-NoSuchGpt12")
    assert unknown.status_code == 422 and "No GPT has the id g-NoSuchGpt12" in unknown.text

    assert pick(admin, f"{browser.base_url}/g/{unverified}").status_code == 303  # a pasted link, now verified
    assert front_picks(browser) == ["Unverified Umbrella"]
    assert actions(database, unverified) == ["admin.featured"]  # the refusals changed nothing


def test_picks_that_stop_being_valid_never_show(database, admin, builder, browser):
    ada = builder("ada@example.com", "Ada")
    verify_builder(database, "ada@example.com")
    first, second = listed(ada, "Alpha Abacus"), listed(ada, "Beta Binder")
    assert pick(admin, first).status_code == 303 and pick(admin, second).status_code == 303
    assert front_picks(browser) == ["Alpha Abacus", "Beta Binder"]

    # Reordered: the second becomes the hero; then moved back.
    admin.submit("/admin/featured", {"week": WEEK, "gpt_id": second, "action": "up"}, form_page="/admin/featured")
    assert front_picks(browser) == ["Beta Binder", "Alpha Abacus"]
    assert "admin.featured_moved" in actions(database, second)

    # The builder removes their verified domain: no pick of theirs shows, on the front or the week's page.
    domains = ada.client.get("/account/builder").text
    domain_id = re.search(r'action="/account/builder/domains/(\d+)/remove"', domains).group(1)
    assert ada.client.delete(f"/api/me/domains/{domain_id}", headers=ada.headers).status_code == 204
    assert front_picks(browser) == []
    assert "Beta Binder" not in browser.get(f"/store/featured/{WEEK}").text
    picker = admin.get("/admin/featured").text
    assert picker.count("data-hidden-pick") == 2 and "Ada has not verified a website domain" in picker  # still there, marked

    # Verified again: they show again. Then one leaves the store (made private): only the other shows.
    verify_builder(database, "ada@example.com", "ada.example.net")
    assert ada.patch(first, visibility="private").status_code == 200
    assert front_picks(browser) == ["Beta Binder"]
    assert "Alpha Abacus is not listed in the store" in admin.get("/admin/featured").text


def test_a_pick_pending_review_again_is_hidden(database, admin, builder, browser, server, monkeypatch):
    ada = builder("ada@example.com", "Ada")
    verify_builder(database, "ada@example.com")
    gpt_id = listed(ada, "Gamma Gazette")
    assert pick(admin, gpt_id).status_code == 303 and front_picks(browser) == ["Gamma Gazette"]
    monkeypatch.setattr(server.app.state.settings, "moderation_review", "everyone")  # every submission waits for a person
    assert ada.patch(gpt_id, description="Now with more news").status_code == 200
    ada.publish(gpt_id)  # a new version of a listed GPT: it waits, and leaves the store meanwhile
    assert front_picks(browser) == []
    assert "Gamma Gazette waits for a moderator&#39;s review" in admin.get("/admin/featured").text


def test_a_builder_requests_once_and_the_admin_declines_then_picks(database, admin, builder, browser):
    ada = builder("ada@example.com", "Ada")
    gpt_id = listed(ada, "Delta Diary")
    path = f"/api/gpts/{gpt_id}/featured-request"

    standing = ada.client.get(path).json()
    assert standing["can_request"] is False and [m["code"] for m in standing["missing"]] == ["builder_not_verified"]
    refused = ada.post(path, json={"pitch": ""})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "gpt_id"
    assert "has not verified a website domain" in refused.json()["error"]["message"]

    verify_builder(database, "ada@example.com")
    too_long = ada.post(path, json={"pitch": "x" * 281})
    assert too_long.status_code == 422 and too_long.json()["error"]["field"] == "pitch"
    with ThreadPoolExecutor(4) as pool:  # a double click, and retries: one request
        answers = list(pool.map(lambda _: ada.post(path, json={"pitch": "Keeps a diary in your voice"}), range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    with database.session() as session:
        assert session.query(FeaturedRequest).filter_by(gpt_id=gpt_id).count() == 1
    assert ada.client.get(path).json()["request"]["state"] == "open"

    stranger = builder("zed@example.com", "Zed")
    assert stranger.post(path, json={}).status_code == 403  # a public GPT: seen, but not theirs to request

    with database.session() as session:
        listing = session.scalar(select(Listing).where(Listing.gpt_id == gpt_id))
        listing.rating_sum, listing.rating_count, listing.conversations = 9, 2, 31
    picker = admin.get("/admin/featured").text
    queued = picker.split(f'data-gpt="{gpt_id}"', 1)[1].split("</article>", 1)[0]
    assert "Keeps a diary in your voice" in queued and "by Ada" in queued and "★ 4.5 (2 ratings)" in queued and "31 conversations" in queued
    request_id = re.search(r'id="request-(\d+)"', picker).group(1)

    no_reason = admin.submit(f"/admin/featured/requests/{request_id}", {"action": "decline", "reason": " "}, form_page="/admin/featured")
    assert no_reason.status_code == 422 and "Say why it is declined" in no_reason.text
    declined = admin.submit(f"/admin/featured/requests/{request_id}", {"action": "decline", "reason": "Too close to Echo Journal this month"},
                            form_page="/admin/featured")
    assert declined.status_code == 303
    request = ada.client.get(path).json()["request"]
    assert request["state"] == "declined" and request["reason"] == "Too close to Echo Journal this month"
    assert "Declined: Too close to Echo Journal this month" in ada.client.get(f"/gpts/{gpt_id}/featured").text
    again = admin.submit(f"/admin/featured/requests/{request_id}", {"action": "pick", "week": WEEK}, form_page="/admin/featured")
    assert again.status_code == 422 and "already decided" in again.text

    # Asked again, through the page's form; picked for next week from the queue.
    assert ada.client.post(f"/gpts/{gpt_id}/featured", data={"pitch": "", "csrf_token": ada.client.csrf(f"/gpts/{gpt_id}/featured")}).status_code == 303
    assert ada.client.get(path).json()["request"]["state"] == "open"
    second_id = re.search(r'id="request-(\d+)"', admin.get("/admin/featured").text).group(1)
    next_week = featured.week_label(*featured.current_week(date.today() + timedelta(weeks=1)))
    picked = admin.submit(f"/admin/featured/requests/{second_id}", {"action": "pick", "week": next_week}, form_page="/admin/featured")
    assert picked.status_code == 303 and picked.headers["location"] == f"/admin/featured?week={next_week}"
    request = ada.client.get(path).json()["request"]
    assert request["state"] == "picked" and request["week"] == next_week
    assert "Delta Diary" in browser.get(f"/store/featured/{next_week}").text
    assert f"Featured: week {next_week}" in ada.client.get("/gpts/mine").text
    assert "No builder is waiting." in admin.get("/admin/featured").text
    assert actions(database, gpt_id) == ["featured.requested", "admin.featured_declined", "featured.requested", "admin.featured"]


def test_the_picker_finds_gpts_by_name_or_builder(database, admin, builder):
    ada, eve = builder("ada@example.com", "Ada Lovelace"), builder("eve@example.com", "Eve")
    verify_builder(database, "ada@example.com")
    listed(ada, "Engine Notes")
    listed(eve, "Engine Sketches")
    found = admin.get("/admin/featured", params={"q": "engine"}).text
    notes = found.split("Engine Notes", 1)[1].split("</article>", 1)[0]
    sketches = found.split("Engine Sketches", 1)[1].split("</article>", 1)[0]
    assert 'value="pick"' in notes and "Cannot be featured: its builder has not verified" in sketches and 'value="pick"' not in sketches
    assert "Engine Notes" in admin.get("/admin/featured", params={"q": "lovelace"}).text  # by the builder's name
    notes_id = re.search(r'data-result="(g-\w+)"[^>]*>\s*<h3><a href="/g/g-\w+">Engine Notes', found).group(1)
    assert pick(admin, notes_id, q="engine").headers["location"] == f"/admin/featured?week={WEEK}&q=engine"
    assert "Already featured in" in admin.get("/admin/featured", params={"q": "engine"}).text


def test_requests_speak_french(database, builder):
    ada = builder("ada@example.com", "Ada")
    gpt_id = listed(ada, "Epsilon Essay")
    ada.client.submit("/language", {"language": "fr", "next": "/"}, form_page="/")
    page = ada.client.get(f"/gpts/{gpt_id}/featured").text
    assert "Demander à être mis en avant" in page and "n’a pas vérifié de domaine" in page
    answer = ada.post(f"/api/gpts/{gpt_id}/featured-request", json={})
    assert answer.status_code == 422 and "n’a pas vérifié de domaine" in answer.json()["error"]["message"]


def test_only_administrators_use_the_picker(database, builder):
    ada = builder("ada@example.com", "Ada")
    assert ada.client.get("/admin/featured").status_code == 403
    assert ada.client.post("/admin/featured", data={"week": WEEK, "gpt_id": "g-x", "csrf_token": ada.client.csrf("/")}).status_code == 403
    assert ada.client.post("/admin/featured/requests/1", data={"action": "decline", "reason": "no", "csrf_token": ada.client.csrf("/")}).status_code == 403
