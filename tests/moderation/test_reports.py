"""POST /api/reports: its contract, its refusals, and three distinct reporters hiding a GPT until reviewed."""

from __future__ import annotations

from tests.moderation.conftest import in_store, make_moderator, publish_public, review


def _report(builder, **body):
    return builder.client.post("/api/reports", json=body, headers=builder.headers)


def test_a_report_answers_201_with_what_was_filed(server, review_mode, make_builder):
    review_mode("never")
    ada, bob = make_builder(), make_builder("bob@example.com", "Bob")
    gpt_id = publish_public(ada, "Trip Planner")
    response = _report(bob, target="gpt", id=gpt_id, reason="spam", note="Adverts everywhere")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"id": body["id"], "target": "gpt", "target_id": gpt_id, "reason": "spam", "hidden": False}


def test_bad_reports_are_refused_naming_the_field(server, review_mode, make_builder, browser):
    review_mode("never")
    ada, bob = make_builder(), make_builder("bob@example.com", "Bob")
    gpt_id = publish_public(ada, "Trip Planner")
    assert _report(bob, target="gpt", id=gpt_id, reason="boring").json()["error"]["field"] == "reason"
    assert _report(bob, target="planet", id=gpt_id, reason="spam").status_code == 422
    assert _report(bob, target="gpt", id="g-nonexistent", reason="spam").status_code == 404
    assert _report(bob, target="review", id="12345", reason="spam").status_code == 404
    assert _report(bob, target="share", id="nope", reason="spam").status_code == 404
    assert _report(bob, target="gpt", id=gpt_id, reason="spam", note="x" * 1001).json()["error"]["field"] == "note"
    assert _report(ada, target="gpt", id=gpt_id, reason="spam").status_code == 422  # one's own GPT
    assert browser.post("/api/reports", json={"target": "gpt", "id": gpt_id, "reason": "spam"}).status_code in (401, 403)
    assert _report(bob, target="gpt", id=gpt_id, reason="spam").status_code == 201
    twice = _report(bob, target="gpt", id=gpt_id, reason="hate")
    assert twice.status_code == 409 and twice.json()["error"]["field"] == "id"


def test_reporters_are_rate_limited(server, review_mode, make_builder):
    review_mode("never", moderation_reports_per_hour=2)
    ada, bob = make_builder(), make_builder("bob@example.com", "Bob")
    ids = [publish_public(ada, f"Helper {n}") for n in range(3)]
    assert [_report(bob, target="gpt", id=i, reason="spam").status_code for i in ids] == [201, 201, 429]
    assert int(_report(bob, target="gpt", id=ids[2], reason="spam").headers["Retry-After"]) > 0


def test_three_distinct_reporters_hide_a_gpt_until_a_moderator_reviews_it(server, review_mode, make_builder, browser):
    review_mode("never")
    ada = make_builder()
    gpt_id = publish_public(ada, "Trip Planner")
    reporters = [make_builder(f"r{n}@example.com", f"Reporter {n}") for n in range(3)]
    assert _report(reporters[0], target="gpt", id=gpt_id, reason="spam").json()["hidden"] is False
    assert _report(reporters[0], target="gpt", id=gpt_id, reason="spam").status_code == 409  # the same person counts once
    assert _report(reporters[1], target="gpt", id=gpt_id, reason="broken").json()["hidden"] is False
    assert in_store(browser, "Trip Planner")
    assert _report(reporters[2], target="gpt", id=gpt_id, reason="spam").json()["hidden"] is True
    assert not in_store(browser, "Trip Planner")
    assert review(ada, gpt_id)["state"] == "pending"
    assert browser.get(f"/g/{gpt_id}").status_code == 200  # hidden from discovery, not from its link
    mod = make_builder("mo@example.com", "Mo")
    make_moderator(server.database, "mo@example.com")
    queue = mod.client.get("/moderation").text
    assert "Hidden by reports" in queue and "Trip Planner" in queue
    from agora.moderation import review as moderation

    with server.database.session() as session:
        case_id = moderation.latest_case(session, gpt_id).id
    response = mod.client.post(f"/moderation/cases/{case_id}", data={"csrf_token": mod.client.csrf("/moderation"), "action": "approve"})
    assert response.status_code == 303
    assert in_store(browser, "Trip Planner")
    # The reports were resolved by the review: new ones start counting again.
    assert _report(reporters[0], target="gpt", id=gpt_id, reason="spam").json()["hidden"] is False


def test_reviews_and_shared_conversations_can_be_reported_and_dismissed(server, review_mode, make_builder):
    review_mode("never")
    ada, bob = make_builder(), make_builder("bob@example.com", "Bob")
    gpt_id = publish_public(ada, "Trip Planner")
    from agora.accounts.models import User
    from agora.chat.models import Conversation
    from agora.store.models import Review

    with server.database.session() as session:
        ada_user = session.query(User).filter_by(email="ada@example.com").one()
        session.add(Review(gpt_id=gpt_id, user_id=ada_user.id, rating=5, body="Best GPT"))
        session.add(Conversation(id="c" * 32, user_id=ada_user.id, gpt_id=gpt_id, title="Trip", share_token="s" * 32, shared_upto=0))
    with server.database.session() as session:
        review_id = session.query(Review).one().id
    assert _report(bob, target="review", id=review_id, reason="spam").status_code == 201
    assert _report(bob, target="share", id="s" * 32, reason="harassment").status_code == 201
    mod = make_builder("mo@example.com", "Mo")
    make_moderator(server.database, "mo@example.com")
    queue = mod.client.get("/moderation").text
    assert "s" * 32 in queue and f"<code>{review_id}</code>" in queue
