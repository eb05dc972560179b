"""Ratings and reviews: earned by chatting, one per user, a Bayesian score, one builder reply."""

import pytest

from agora.store.ranking import bayesian_rating
from tests.store.conftest import ChatClient, make_gpt


def chat_once(browser, gpt_id: str) -> ChatClient:
    client = ChatClient(browser)
    conversation = client.start(gpt_id)
    events = client.send(conversation, "hello")
    assert events[-1][0] == "done", events
    return client


def store_item(browser, gpt_id: str) -> dict:
    items = browser.get("/api/store/search", params={"q": "Walrus"}).json()["items"]
    return next(i for i in items if i["id"] == gpt_id)


@pytest.fixture
def gpt_id(database, upstream):
    return make_gpt(database)


def test_rate_edit_and_reply(browser, make_browser, database, upstream):
    builder = make_browser()
    builder.signup(email="builder@example.com", name="Builder")  # make_gpt reuses this account
    gpt_id = make_gpt(database)
    browser.signup()
    client = chat_once(browser, gpt_id)

    created = browser.put(f"/api/gpts/{gpt_id}/review", json={"rating": 4, "body": "Good with walruses"}, headers=client.headers)
    assert created.status_code == 200 and created.json()["rating"] == 4
    item = store_item(browser, gpt_id)
    assert (item["rating"], item["rating_count"]) == (4.0, 1)

    edited = browser.put(f"/api/gpts/{gpt_id}/review", json={"rating": 5, "body": "Great"}, headers=client.headers)
    assert edited.json()["id"] == created.json()["id"]  # one review per user, edited in place
    item = store_item(browser, gpt_id)
    assert (item["rating"], item["rating_count"]) == (5.0, 1)

    review_id = created.json()["id"]
    assert browser.post(f"/api/reviews/{review_id}/reply", json={"body": "thanks"}, headers=client.headers).status_code == 404
    headers = builder.api_headers()
    own = builder.put(f"/api/gpts/{gpt_id}/review", json={"rating": 5}, headers=headers)
    assert own.status_code == 403 and own.json()["error"]["field"] == "rating"
    replied = builder.post(f"/api/reviews/{review_id}/reply", json={"body": "Thank you!"}, headers=headers)
    assert replied.status_code == 200 and replied.json()["reply"] == "Thank you!"
    again = builder.post(f"/api/reviews/{review_id}/reply", json={"body": "Again"}, headers=headers)
    assert again.status_code == 409

    listed = browser.get(f"/api/gpts/{gpt_id}/reviews").json()["items"]
    assert [(r["body"], r["author"], r["reply"]) for r in listed] == [("Great", "Ada", "Thank you!")]

    assert browser.delete(f"/api/gpts/{gpt_id}/review", headers=client.headers).status_code == 204
    item = store_item(browser, gpt_id)
    assert (item["rating"], item["rating_count"]) == (None, 0)


def test_only_people_who_chatted_may_rate(browser, make_browser, gpt_id):
    browser.signup()
    headers = browser.api_headers()
    refused = browser.put(f"/api/gpts/{gpt_id}/review", json={"rating": 5}, headers=headers)
    assert refused.status_code == 403 and "Chat with this GPT" in refused.json()["error"]["message"]
    visitor = make_browser()
    assert visitor.put(f"/api/gpts/{gpt_id}/review", json={"rating": 5}, headers=visitor.api_headers()).status_code == 401


def test_bad_reviews_name_the_field(browser, gpt_id):
    browser.signup()
    client = chat_once(browser, gpt_id)
    for body, field in [({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"rating": "x"}, "rating"),
                        ({"rating": 3, "body": "x" * 2001}, "body")]:
        response = browser.put(f"/api/gpts/{gpt_id}/review", json=body, headers=client.headers)
        assert response.status_code == 422 and response.json()["error"]["field"] == field, body
    assert browser.get(f"/api/gpts/{gpt_id}/reviews").json()["items"] == []


def test_reviews_of_a_private_gpt_do_not_leak(browser, database, upstream):
    private = make_gpt(database, name="Hidden Walrus", visibility="private")
    browser.signup()
    assert browser.get(f"/api/gpts/{private}/reviews").status_code == 404


def test_bayesian_average_needs_many_votes_to_move():
    one_perfect_vote = bayesian_rating(5, 1)
    thousand_good_votes = bayesian_rating(4800, 1000)
    assert thousand_good_votes > one_perfect_vote
    assert bayesian_rating(0, 0) == 3.5
