"""The builder JSON API: create, edit the draft, publish, versions, rollback, fork, delete."""

from sqlalchemy import func, select

from agora.gpts.ids import is_gpt_id
from agora.gpts.models import Gpt, GptVersion


def test_create_edit_publish_rollback(make_builder):
    ada = make_builder()
    gpt_id = ada.create(name="Tutor", description="Helps with maths", instructions="Be patient.", starters=["What is a prime?"])
    assert is_gpt_id(gpt_id)
    draft = ada.client.get(f"/api/gpts/{gpt_id}").json()
    assert draft["published_version"] is None and draft["content"] is None and draft["draft"]["name"] == "Tutor"

    assert ada.publish(gpt_id, "First") == 1
    assert ada.patch(gpt_id, instructions="Be very patient.", visibility="public").status_code == 200
    assert ada.publish(gpt_id, "Kinder") == 2
    versions = ada.client.get(f"/api/gpts/{gpt_id}/versions").json()
    assert [(v["number"], v["note"], v["live"], v["author"]["handle"]) for v in versions] == [(2, "Kinder", True, "ada"), (1, "First", False, "ada")]

    changes = ada.client.get(f"/api/gpts/{gpt_id}/diff", params={"before": 1, "after": 2}).json()
    assert changes == [{"path": "instructions", "before": "Be patient.", "after": "Be very patient."}]

    rolled = ada.post(f"/api/gpts/{gpt_id}/rollback", json={"version": 1})
    assert rolled.status_code == 200 and rolled.json() == {"version": 3}
    now = ada.client.get(f"/api/gpts/{gpt_id}").json()
    assert now["published_version"] == 3 and now["content"]["instructions"] == "Be patient."
    assert now["draft"]["instructions"] == "Be patient."  # the draft follows the rollback
    assert "Rolled back to version 1" in ada.client.get(f"/api/gpts/{gpt_id}/versions").json()[0]["note"]


def test_my_gpts_lists_status_and_version(make_builder):
    ada = make_builder()
    drafted = ada.create(name="Only a draft")
    live = ada.create(name="Live one")
    ada.publish(live)
    ada.patch(live, description="changed after publishing")
    mine = {g["id"]: g for g in ada.client.get("/api/me/gpts").json()}
    assert mine[drafted]["status"] == "draft" and mine[drafted]["published_version"] is None
    assert mine[live]["status"] == "changed" and mine[live]["published_version"] == 1
    ada.publish(live)
    assert {g["id"]: g["status"] for g in ada.client.get("/api/me/gpts").json()}[live] == "published"


def test_bad_input_is_refused_naming_field_and_limit(make_builder, database):
    ada = make_builder()
    cases = [
        ({"name": "x" * 61}, "name", "60"),
        ({"name": "ok", "description": "d" * 301}, "description", "300"),
        ({"name": "ok", "instructions": "i" * 8001}, "instructions", "8000"),
        ({"name": "ok", "starters": ["a", "b", "c", "d", "e"]}, "starters", "4"),
        ({"name": "ok", "category": "astrology"}, "category", "astrology"),
        ({"name": "ok", "temperature": 2.5}, "temperature", "2"),
        ({"name": "ok", "top_p": -1}, "top_p", "0"),
        ({"name": "ok", "avatar": "https://evil.example/a.png"}, "avatar", "16"),
        ({"name": "ok", "visibility": "secret"}, "visibility", "public"),
        ({"name": "ok", "model": "gpt-99"}, "model", "gpt-99"),
    ]
    for body, field, limit in cases:
        response = ada.post("/api/gpts", json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["field"] == field and limit in error["message"], (body, error)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Gpt)) == 0

    gpt_id = ada.create(name="Fine")
    too_long = ada.patch(gpt_id, name="y" * 61)
    assert too_long.status_code == 422 and too_long.json()["error"]["field"] == "name"
    assert ada.client.get(f"/api/gpts/{gpt_id}").json()["draft"]["name"] == "Fine"
    missing = ada.post(f"/api/gpts/{gpt_id}/rollback", json={"version": 7})
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "version"
    long_note = ada.post(f"/api/gpts/{gpt_id}/publish", json={"note": "n" * 501})
    assert long_note.status_code == 422 and "500" in long_note.json()["error"]["message"]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(GptVersion)) == 0


def test_fork_credits_the_source_and_respects_allow_forks(make_builder):
    ada, bob = make_builder(), make_builder("bob@example.com", "Bob")
    closed = ada.create(name="Closed", visibility="public", instructions="secret sauce")
    ada.publish(closed)
    refused = bob.post(f"/api/gpts/{closed}/fork")
    assert refused.status_code == 403 and "forks" in refused.json()["error"]["message"]

    open_ = ada.create(name="Open", visibility="public", allow_forks=True, instructions="share me")
    ada.publish(open_)
    ada.patch(open_, instructions="unpublished draft text")
    forked = bob.post(f"/api/gpts/{open_}/fork")
    assert forked.status_code == 201
    copy = bob.client.get(f"/api/gpts/{forked.json()['id']}").json()
    assert copy["forked_from"] == open_ and copy["visibility"] == "private" and copy["published_version"] is None
    assert copy["draft"]["instructions"] == "share me"  # the live version, never the owner's draft
    mine = bob.client.get("/api/me/gpts").json()
    assert mine[0]["forked_from"] == open_

    hidden = ada.create(name="Hidden", visibility="public", allow_forks=True, hide_instructions=True, instructions="x")
    ada.publish(hidden)
    assert bob.post(f"/api/gpts/{hidden}/fork").status_code == 403
    duplicate = ada.post(f"/api/gpts/{hidden}/fork")  # owners may always duplicate their own
    assert duplicate.status_code == 201


def test_delete_is_soft_and_hides_everywhere(make_builder, database):
    ada = make_builder()
    gpt_id = ada.create(name="Gone soon", visibility="public")
    ada.publish(gpt_id)
    assert ada.client.delete(f"/api/gpts/{gpt_id}", headers=ada.headers).status_code == 204
    assert ada.client.get(f"/api/gpts/{gpt_id}").status_code == 404
    assert ada.client.get(f"/g/{gpt_id}").status_code == 404
    assert ada.client.get("/api/me/gpts").json() == []
    with database.session() as session:
        gpt = session.get(Gpt, gpt_id)
        assert gpt is not None and gpt.deleted_at is not None  # kept for its conversations


def test_openapi_documents_the_builder_api(browser):
    paths = browser.get("/api/openapi.json").json()["paths"]
    expected = {
        "/api/gpts", "/api/gpts/{gpt_id}", "/api/gpts/{gpt_id}/publish", "/api/gpts/{gpt_id}/versions",
        "/api/gpts/{gpt_id}/rollback", "/api/gpts/{gpt_id}/fork", "/api/me/gpts", "/api/gpts/{gpt_id}/export",
        "/api/gpts/import", "/api/gpts/{gpt_id}/diff", "/api/gpts/{gpt_id}/avatar",
    }
    assert expected <= set(paths)
    assert {"get", "patch", "delete"} <= set(paths["/api/gpts/{gpt_id}"])
