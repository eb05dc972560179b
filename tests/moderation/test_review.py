"""Review states: who waits for a moderator, what the store shows meanwhile, and the moderators' decisions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from agora.db import utcnow
from agora.moderation import review as moderation
from agora.moderation.models import ReviewCase
from agora.store.models import Listing
from tests.moderation.conftest import INSTRUCTIONS, in_store, make_moderator, publish_public, review, verify_domain


def _case(database, gpt_id: str) -> ReviewCase:
    with database.session() as session:
        return moderation.latest_case(session, gpt_id)


def _decide(client, case_id: int, **form) -> None:
    response = client.post(f"/moderation/cases/{case_id}", data={"csrf_token": client.csrf("/moderation"), **form})
    assert response.status_code == 303, response.text


def test_a_new_builders_public_gpt_waits_out_of_the_store_while_link_sharing_works_at_once(server, review_mode, make_builder, browser):
    ada = make_builder()
    gpt_id = publish_public(ada, "Trip Planner")
    assert review(ada, gpt_id) == {"state": "pending", "checks": [
        {"kind": "policy", "result": "pass", "detail": {"provider": "builtin", "categories": {}, "fields": {}}},
        {"kind": "impersonation", "result": "pass", "detail": {"names": []}},
        {"kind": "clone", "result": "pass", "detail": {"threshold": 0.8}},
    ], "reason": None, "delist_at": None, "appealable": False}
    assert not in_store(browser, "Trip Planner")
    assert browser.get(f"/g/{gpt_id}").status_code == 200  # the link works: only the store listing waits
    linked = ada.create(name="Link Only", visibility="link")
    ada.publish(linked)
    assert review(ada, linked)["state"] == "draft"  # never sent to the store, never held
    assert browser.get(f"/api/gpts/{gpt_id}").json()["review"] is None  # the review is for its editors


def test_a_moderator_approves_and_the_gpt_is_listed(server, review_mode, make_builder, browser):
    ada, mod = make_builder(), make_builder("mo@example.com", "Mo")
    make_moderator(server.database, "mo@example.com")
    gpt_id = publish_public(ada, "Trip Planner")
    _decide(mod.client, _case(server.database, gpt_id).id, action="approve")
    assert review(ada, gpt_id)["state"] == "listed"
    assert in_store(browser, "Trip Planner")


def test_only_moderators_see_the_queue_or_decide(server, review_mode, make_builder):
    ada = make_builder()
    gpt_id = publish_public(ada, "Trip Planner")
    assert ada.client.get("/moderation").status_code == 403
    response = ada.client.post(f"/moderation/cases/{_case(server.database, gpt_id).id}",
                               data={"csrf_token": ada.client.csrf("/"), "action": "approve"})
    assert response.status_code == 403
    assert review(ada, gpt_id)["state"] == "pending"


def test_an_established_builder_is_listed_at_once_unless_the_mode_is_everyone(server, review_mode, make_builder, browser):
    ada = make_builder()
    verify_domain(server.database, "ada@example.com", "ada.example")
    review_mode("never")
    for n in range(3):
        publish_public(ada, f"Helper {n}")
    review_mode("new_builders")
    assert review(ada, publish_public(ada, "Fourth Helper"))["state"] == "listed"
    assert in_store(browser, "Fourth Helper")
    review_mode("everyone")
    assert review(ada, publish_public(ada, "Fifth Helper"))["state"] == "pending"


def test_a_flagged_gpt_waits_even_when_review_is_off(server, review_mode, make_builder, browser):
    review_mode("never")
    ada = make_builder()
    assert review(ada, publish_public(ada, "Plain Helper"))["state"] == "listed"
    fake = publish_public(ada, "ChatGPT Official")
    checks = {c["kind"]: c for c in review(ada, fake)["checks"]}
    assert checks["impersonation"] == {"kind": "impersonation", "result": "flag", "detail": {"names": ["ChatGPT"]}}
    assert review(ada, fake)["state"] == "pending"
    assert not in_store(browser, "ChatGPT Official")
    bomb = publish_public(ada, "Chemistry Pal", instructions="Explain how to make a bomb at home.")
    policy = review(ada, bomb)["checks"][0]
    assert policy["result"] == "flag"
    assert policy["detail"]["categories"] == {"illicit/violent": 1.0}
    assert policy["detail"]["fields"] == {"instructions": ["illicit/violent"]}


def test_a_verified_builders_name_is_protected_from_others_but_not_from_them(server, review_mode, make_builder):
    review_mode("never")
    ada, eve = make_builder(), make_builder("eve@example.com", "Eve")
    ada_gpt = ada.create(name="Lovelace Notes")  # Ada's name, once verified, is protected
    verify_domain(server.database, "ada@example.com", "ada.example")
    ada.client.patch(f"/api/gpts/{ada_gpt}", json={"name": "Ada's Notes", "visibility": "public"}, headers=ada.headers)
    ada.publish(ada_gpt)
    assert review(ada, ada_gpt)["checks"][1]["result"] == "pass"
    fake = publish_public(eve, "Аda Helper")  # a Cyrillic А
    assert review(eve, fake)["checks"][1] == {"kind": "impersonation", "result": "flag", "detail": {"names": ["Ada"]}}


def test_a_clone_of_another_builders_listed_gpt_is_flagged_with_the_original_which_stays(server, review_mode, make_builder, browser):
    review_mode("never")
    ada, eve = make_builder(), make_builder("eve@example.com", "Eve")
    original = publish_public(ada, "Trip Planner", instructions=INSTRUCTIONS)
    own_copy = publish_public(ada, "Trip Planner Two", instructions=INSTRUCTIONS)  # the same builder's variant is no clone
    assert review(ada, own_copy)["state"] == "listed"
    clone = publish_public(eve, "Journey Genie", instructions=INSTRUCTIONS.replace("meticulous", "careful"))
    result = review(eve, clone)
    assert result["state"] == "pending"
    check = result["checks"][2]
    assert check["result"] == "flag"
    assert check["detail"]["original"] == {"id": original, "name": "Trip Planner"}
    assert check["detail"]["similarity"] >= 0.8
    assert in_store(browser, "Trip Planner") and not in_store(browser, "Journey Genie")


def test_a_rejection_is_appealed_once_and_reversed(server, review_mode, make_builder, browser):
    ada, mod = make_builder(), make_builder("mo@example.com", "Mo")
    make_moderator(server.database, "mo@example.com")
    gpt_id = publish_public(ada, "Trip Planner")
    case_id = _case(server.database, gpt_id).id
    _decide(mod.client, case_id, action="reject", reason_code="spam", note="Looks like an advert.")
    assert review(ada, gpt_id) | {"checks": []} == {"state": "rejected", "checks": [], "reason": "It is spam or misleading. Looks like an advert.",
                                                  "delist_at": None, "appealable": True}
    page = ada.client.get("/me/reviews")
    assert "Looks like an advert." in page.text
    token = ada.client.csrf("/me/reviews")
    assert ada.client.post(f"/me/reviews/{case_id}/appeal", data={"csrf_token": token, "appeal": ""}).status_code == 422
    assert ada.client.post(f"/me/reviews/{case_id}/appeal", data={"csrf_token": token, "appeal": "It is a real planner."}).status_code == 303
    again = ada.client.post(f"/me/reviews/{case_id}/appeal", data={"csrf_token": token, "appeal": "Please?"})
    assert again.status_code == 409
    assert "already appealed" in again.text
    assert "It is a real planner." in mod.client.get("/moderation").text
    _decide(mod.client, case_id, action="reverse", note="Fair enough.")
    assert review(ada, gpt_id)["state"] == "listed"
    assert in_store(browser, "Trip Planner")
    # Republishing after a person's decision waits for a person again, whatever the mode.
    other = publish_public(ada, "Other Helper")
    _decide(mod.client, _case(server.database, other).id, action="reject", reason_code="broken")
    review_mode("never")
    ada.publish(other)
    assert review(ada, other)["state"] == "pending"


def test_a_builder_cannot_appeal_someone_elses_case(server, review_mode, make_builder):
    ada, eve, mod = make_builder(), make_builder("eve@example.com", "Eve"), make_builder("mo@example.com", "Mo")
    make_moderator(server.database, "mo@example.com")
    case_id = _case(server.database, publish_public(ada, "Trip Planner")).id
    _decide(mod.client, case_id, action="reject", reason_code="spam")
    response = eve.client.post(f"/me/reviews/{case_id}/appeal", data={"csrf_token": eve.client.csrf("/"), "appeal": "mine!"})
    assert response.status_code == 404


def test_a_delisting_is_announced_then_takes_effect_and_a_severe_one_at_once(server, review_mode, make_builder, browser):
    review_mode("never")
    ada, mod = make_builder(), make_builder("mo@example.com", "Mo")
    make_moderator(server.database, "mo@example.com")
    gpt_id = publish_public(ada, "Trip Planner")
    token = mod.client.csrf("/moderation")
    response = mod.client.post("/moderation/delist", data={"csrf_token": token, "gpt_id": f"{server.url}/g/{gpt_id}",
                                                           "reason_code": "broken", "note": "It answers nothing."})
    assert response.status_code == 303
    announced = review(ada, gpt_id)
    assert announced["state"] == "listed" and announced["delist_at"] is not None and announced["appealable"]
    assert in_store(browser, "Trip Planner")  # the notice comes before the effect
    with server.database.session() as session:
        assert moderation.apply_due(session, now=utcnow()) == 0
    with server.database.session() as session:
        assert moderation.apply_due(session, now=utcnow() + timedelta(hours=73)) == 1
    assert review(ada, gpt_id)["state"] == "delisted"
    assert not in_store(browser, "Trip Planner")
    severe = publish_public(ada, "Other Helper")
    mod.client.post("/moderation/delist", data={"csrf_token": token, "gpt_id": severe, "reason_code": "policy", "category": "sexual/minors"})
    assert review(ada, severe)["state"] == "delisted"
    with server.database.session() as session:
        assert session.scalar(select(Listing).where(Listing.gpt_id == severe)) is None


def test_the_audit_trail_holds_every_step_and_exports_it(server, review_mode, make_builder):
    ada, mod = make_builder(), make_builder("mo@example.com", "Mo")
    make_moderator(server.database, "mo@example.com")
    gpt_id = publish_public(ada, "Trip Planner")
    _decide(mod.client, _case(server.database, gpt_id).id, action="reject", reason_code="spam")
    export = mod.client.get("/moderation/audit.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.text.splitlines()
    assert lines[0] == "seq,at,actor,action,target_type,target_id,details"
    actions = [line.split(",")[3] for line in lines[1:]]
    assert actions == ["moderation.submitted", "moderation.rejected"]
    assert "mo@example.com" in lines[2]
    assert ada.client.get("/moderation/audit.csv").status_code == 403
