"""A fork keeps the knowledge files of what it copied: the same stored bytes, the same documents for the same owner and
indexed again for another; a fork by someone else carries them only when the builder lets users download the files.
Exports list the files (they do not carry them) and an import says so. On both databases, over HTTP."""

from __future__ import annotations

from sqlalchemy import func, select

from agora.knowledge import files
from agora.knowledge.models import KnowledgeDocument
from tests.knowledge.conftest import PAGES, pdf, upload, wait_until_settled


def _fork(who, gpt_id: str) -> str:
    response = who.post(f"/api/gpts/{gpt_id}/fork")
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _documents(database) -> list[tuple[int, str, str]]:
    with database.session() as session:
        return [(d.owner_id, d.sha256[:8], d.status) for d in session.scalars(select(KnowledgeDocument).order_by(KnowledgeDocument.id))]


def test_forks_keep_the_files_they_may_see(builder, make_builder, database):
    eve = make_builder("eve@example.com", "Eve")
    gpt_id = builder.create(name="Lighthouse", visibility="link", allow_forks=True)
    assert upload(builder, gpt_id, "handbook.pdf", pdf(PAGES)).status_code == 201
    assert [f["status"] for f in wait_until_settled(builder, gpt_id)] == ["ready"]
    builder.publish(gpt_id)
    assert upload(builder, gpt_id, "draft-only.txt", b"A note only the draft holds, about the foghorn.").status_code == 201
    wait_until_settled(builder, gpt_id)

    # The builder's own fork copies the draft: both files, on the same documents (nothing ingested again).
    own = _fork(builder, gpt_id)
    assert [(f["name"], f["status"]) for f in builder.client.get(f"/api/gpts/{own}/files").json()] == [
        ("handbook.pdf", "ready"), ("draft-only.txt", "ready")]
    assert len(_documents(database)) == 2
    hits = builder.client.get(f"/api/gpts/{own}/knowledge/search", params={"q": "When is the generator tested?"}).json()["items"]
    assert hits[0]["file_name"] == "handbook.pdf" and hits[0]["page"] == 3

    # Someone else forks the published version while its files stay private: the fork has none.
    private = _fork(eve, gpt_id)
    assert eve.client.get(f"/api/gpts/{private}/files").json() == []
    assert len(_documents(database)) == 2

    # The builder lets users download the files and publishes: a fork by someone else gets the published version's files
    # (not the draft's), the same stored bytes indexed again for its new owner.
    assert builder.patch(gpt_id, knowledge_downloads=True).status_code == 200
    builder.publish(gpt_id, "downloads on")
    builder.client.delete(f"/api/gpts/{gpt_id}/files/{builder.client.get(f'/api/gpts/{gpt_id}/files').json()[0]['id']}", headers=builder.headers)
    shared = _fork(eve, gpt_id)
    listed = wait_until_settled(eve, shared)
    assert [(f["name"], f["status"]) for f in listed] == [("handbook.pdf", "ready"), ("draft-only.txt", "ready")]
    documents = _documents(database)
    assert len(documents) == 4 and len({sha for _owner, sha, _status in documents}) == 2  # same bytes, one document per owner
    hits = eve.client.get(f"/api/gpts/{shared}/knowledge/search", params={"q": "When is the generator tested?"}).json()["items"]
    assert hits[0]["file_name"] == "handbook.pdf" and hits[0]["page"] == 3
    # The source keeps its own files, untouched by the forks.
    with database.session() as session:
        assert [f.name for f, _d in files.draft_files(session, gpt_id)] == ["draft-only.txt"]
        assert session.scalar(select(func.count()).select_from(KnowledgeDocument).where(KnowledgeDocument.status != "ready")) == 0


def test_an_export_lists_the_files_and_an_import_says_they_were_not_included(builder):
    gpt_id = builder.create(name="Exported")
    assert upload(builder, gpt_id, "handbook.pdf", pdf(PAGES)).status_code == 201
    assert upload(builder, gpt_id, "notes.txt", b"Notes about the foghorn.").status_code == 201
    wait_until_settled(builder, gpt_id)
    document = builder.client.get(f"/api/gpts/{gpt_id}/export").json()
    listed = document["gpt"]["knowledge_files"]
    assert [(f["name"], len(f["sha256"]), f["size"] > 0) for f in listed] == [("handbook.pdf", 64, True), ("notes.txt", 64, True)]
    imported = builder.client.post("/api/gpts/import", content=__import__("json").dumps(document), headers=builder.headers)
    assert imported.status_code == 201, imported.text
    notes = imported.json()["notes"]
    assert any("handbook.pdf" in note and "notes.txt" in note and "not included" in note for note in notes), notes
    [copy] = imported.json()["ids"]
    assert builder.client.get(f"/api/gpts/{copy}/files").json() == []
