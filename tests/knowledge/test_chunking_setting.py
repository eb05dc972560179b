"""The passage size and overlap are a GPT setting (knowledge_chunk_tokens / _overlap in the draft's content): checked with a
422 naming the field, applied to files uploaded after, and a change cuts the draft's files again while published versions
keep theirs; through the JSON API and the editor's form, on both databases."""

from __future__ import annotations

from sqlalchemy import func, select

from agora.knowledge import files
from agora.knowledge.models import KnowledgeDocument
from tests.gpts.test_pages import editor_form
from tests.knowledge.conftest import upload, wait_until_settled

# About 150 words: one 800-token passage, several 60-token ones.
TEXT = " ".join(f"Sentence {n} says the lighthouse keeper {name} checks lamp {n} at dawn." for n, name in
                enumerate(["Ada", "Bea", "Cy", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lou"])).encode()


def _cuts(database, gpt_id: str, number: int | None = None) -> list[tuple[str, int, int, str]]:
    with database.session() as session:
        held = files.draft_files(session, gpt_id) if number is None else files.version_files(session, gpt_id, number)
        return [(f.name, d.chunk_tokens, d.chunk_overlap, d.status) for f, d in held]


def _documents(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(KnowledgeDocument))


def test_bad_settings_are_refused_naming_the_field_and_nothing_is_saved(builder):
    gpt_id = builder.create(name="Cuts")
    for fields, field in (({"knowledge_chunk_tokens": 10}, "knowledge_chunk_tokens"),
                          ({"knowledge_chunk_tokens": 5000}, "knowledge_chunk_tokens"),
                          ({"knowledge_chunk_overlap": -1}, "knowledge_chunk_overlap"),
                          ({"knowledge_chunk_tokens": 300, "knowledge_chunk_overlap": 300}, "knowledge_chunk_overlap"),
                          ({"knowledge_chunk_overlap": 800}, "knowledge_chunk_overlap"),  # not under the store's default size
                          ({"knowledge_chunk_tokens": 300}, "knowledge_chunk_tokens"),  # under the store's default overlap (400)
                          ({"knowledge_chunk_tokens": "many"}, "knowledge_chunk_tokens")):
        refused = builder.patch(gpt_id, description="changed", **fields)
        assert refused.status_code == 422, (fields, refused.text)
        assert refused.json()["error"]["field"] == field, fields
    assert "smaller than their size" in builder.patch(gpt_id, knowledge_chunk_tokens=300, knowledge_chunk_overlap=300).json()["error"]["message"]
    draft = builder.client.get(f"/api/gpts/{gpt_id}").json()["draft"]
    assert draft["description"] == "" and draft["knowledge_chunk_tokens"] is None and draft["knowledge_chunk_overlap"] is None
    created = builder.client.post("/api/gpts", json={"name": "Bad", "knowledge_chunk_overlap": 900}, headers=builder.headers)
    assert created.status_code == 422 and created.json()["error"]["field"] == "knowledge_chunk_overlap"


def test_a_change_cuts_the_draft_files_again_and_published_versions_keep_theirs(builder, database):
    gpt_id = builder.create(name="Keeper")
    assert upload(builder, gpt_id, "keeper.txt", TEXT).status_code == 201
    assert [f["status"] for f in wait_until_settled(builder, gpt_id)] == ["ready"]
    builder.publish(gpt_id)
    [before] = builder.client.get(f"/api/gpts/{gpt_id}/files").json()
    assert before["chunks_total"] == 1

    saved = builder.patch(gpt_id, knowledge_chunk_tokens=60, knowledge_chunk_overlap=20)
    assert saved.status_code == 200, saved.text
    [after] = wait_until_settled(builder, gpt_id)
    # The file was frozen in version 1: the draft holds a new file row for the new cut, the version keeps the old one.
    assert after["id"] != before["id"] and after["name"] == "keeper.txt" and after["status"] == "ready" and after["chunks_total"] > 3
    assert _cuts(database, gpt_id) == [("keeper.txt", 60, 20, "ready")]
    assert _cuts(database, gpt_id, 1) == [("keeper.txt", 800, 400, "ready")]
    hits = builder.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "Who checks lamp 7?"}).json()["items"]
    assert hits and all(len(hit["text"].split()) < 70 for hit in hits)

    # A file uploaded after is cut as the draft says; a file never published is cut again in place (same row).
    assert upload(builder, gpt_id, "second.txt", TEXT + b" And a second file.").status_code == 201
    wait_until_settled(builder, gpt_id)
    assert _cuts(database, gpt_id)[1] == ("second.txt", 60, 20, "ready")
    second_id = builder.client.get(f"/api/gpts/{gpt_id}/files").json()[1]["id"]
    documents = _documents(database)
    assert builder.patch(gpt_id, knowledge_chunk_tokens=100, knowledge_chunk_overlap=0).status_code == 200
    listed = wait_until_settled(builder, gpt_id)
    assert listed[1]["id"] == second_id and [f["status"] for f in listed] == ["ready", "ready"]
    assert _cuts(database, gpt_id) == [("keeper.txt", 100, 0, "ready"), ("second.txt", 100, 0, "ready")]
    # Documents no file holds any more (the 60/20 cuts) are dropped: the 800/400 one stays for version 1.
    assert _documents(database) == documents
    assert _cuts(database, gpt_id, 1) == [("keeper.txt", 800, 400, "ready")]

    # Back to the store's defaults: the draft's files use the 800/400 document version 1 still holds (not ingested again).
    assert builder.patch(gpt_id, knowledge_chunk_tokens=None, knowledge_chunk_overlap=None).status_code == 200
    assert [cut[1:3] for cut in _cuts(database, gpt_id)] == [(800, 400), (800, 400)]
    assert _cuts(database, gpt_id)[0][3] == "ready"
    # An edit that leaves the cut alone cuts nothing again.
    ids = [f["id"] for f in builder.client.get(f"/api/gpts/{gpt_id}/files").json()]
    assert builder.patch(gpt_id, description="Still the same cut").status_code == 200
    assert [f["id"] for f in builder.client.get(f"/api/gpts/{gpt_id}/files").json()] == ids


def test_the_editor_form_sets_the_cut_and_names_a_bad_value(builder, database):
    gpt_id = builder.create(name="Form cuts")
    assert upload(builder, gpt_id, "keeper.txt", TEXT).status_code == 201
    wait_until_settled(builder, gpt_id)
    page = builder.client.get(f"/gpts/{gpt_id}/edit").text
    assert 'name="knowledge_chunk_tokens"' in page and 'placeholder="800"' in page and 'placeholder="400"' in page
    token = builder.client.csrf(f"/gpts/{gpt_id}/edit")
    form = {**editor_form(visibility="private"), "csrf_token": token}
    refused = builder.client.post(f"/gpts/{gpt_id}/edit", data={**form, "knowledge_chunk_tokens": "120", "knowledge_chunk_overlap": "120"})
    assert refused.status_code == 422 and 'id="knowledge_chunk_overlap-error"' in refused.text
    assert _cuts(database, gpt_id)[0][1:3] == (800, 400)
    saved = builder.client.post(f"/gpts/{gpt_id}/edit", data={**form, "knowledge_chunk_tokens": "1 000", "knowledge_chunk_overlap": "250"})
    assert saved.status_code == 303, saved.text
    assert _cuts(database, gpt_id)[0][1:3] == (1000, 250)
    page = builder.client.get(f"/gpts/{gpt_id}/edit").text
    assert 'value="1000"' in page and 'value="250"' in page
    # Left empty: the store's default again.
    assert builder.client.post(f"/gpts/{gpt_id}/edit", data={**form, "knowledge_chunk_tokens": "", "knowledge_chunk_overlap": ""}).status_code == 303
    assert _cuts(database, gpt_id)[0][1:3] == (800, 400)
