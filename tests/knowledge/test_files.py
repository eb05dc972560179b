"""Files on a GPT's draft: upload, ingestion to ready, listing, removal, limits and bad input, on both databases."""

from __future__ import annotations

import io
import socket
import zipfile

from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from agora.knowledge.models import KnowledgeChunk, KnowledgeDocument
from tests.knowledge.conftest import PAGES, image_pdf, pdf, upload, wait_until_settled, word


def test_a_pdf_and_a_docx_become_ready_and_are_searchable_with_pages(builder, database):
    gpt_id = builder.create(name="Lighthouse")
    created = upload(builder, gpt_id, "handbook.pdf", pdf(PAGES))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "queued" and isinstance(created.json()["id"], int)
    assert upload(builder, gpt_id, "policy.docx", word(["Parking is free for staff in the north car park.", "Badges open every door."])).status_code == 201
    files = wait_until_settled(builder, gpt_id)
    assert [(f["name"], f["kind"], f["status"], f["progress"], f["error"]) for f in files] == [
        ("handbook.pdf", "pdf", "ready", 1.0, ""), ("policy.docx", "docx", "ready", 1.0, "")]
    assert files[0]["pages"] == 4 and files[0]["chunks_done"] == files[0]["chunks_total"] == 4
    found = builder.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "When is the generator tested?", "limit": 3}).json()["items"]
    assert found[0]["file_name"] == "handbook.pdf" and found[0]["page"] == 3 and "Tuesday" in found[0]["text"]
    assert set(found[0]) == {"file_id", "file_name", "page", "text", "score"} and found[0]["score"] > 0
    # A French question over the English file finds the same page (multilingual embedder, and keywords don't help here).
    french = builder.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "Combien de jours de congés payés ?"}).json()["items"]
    assert (french[0]["file_name"], french[0]["page"]) == ("handbook.pdf", 2)
    word_hit = builder.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "where can staff park"}).json()["items"][0]
    assert word_hit["file_name"] == "policy.docx" and word_hit["page"] is None


def test_text_formats_are_told_by_content_and_csv_rows_keep_their_headers(builder):
    gpt_id = builder.create(name="Formats")
    assert upload(builder, gpt_id, "prices.csv", b"product,price,colour\nkettle,25 EUR,red\ntoaster,40 EUR,blue\n").status_code == 201
    assert upload(builder, gpt_id, "notes.md", "# Notes\n\nLe café ouvre à huit heures.".encode()).status_code == 201
    assert upload(builder, gpt_id, "data.json", b'[{"city": "Lyon", "river": "Rhone"}]').status_code == 201
    assert upload(builder, gpt_id, "page.html", b"<html><script>var x</script><body><p>The museum closes on Mondays.</p></body></html>").status_code == 201
    assert upload(builder, gpt_id, "untitled", b"A plain note about otters.").status_code == 201
    files = wait_until_settled(builder, gpt_id)
    assert [(f["kind"], f["status"]) for f in files] == [("csv", "ready"), ("markdown", "ready"), ("json", "ready"), ("html", "ready"),
                                                       ("text", "ready")]
    hit = builder.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "toaster price"}).json()["items"][0]
    assert "product: toaster; price: 40 EUR" in hit["text"]
    html = builder.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "museum"}).json()["items"][0]
    assert "closes on Mondays" in html["text"] and "var x" not in html["text"]


def test_bad_files_are_refused_or_fail_with_the_reason(builder, database):
    gpt_id = builder.create(name="Bad input")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "not a word document")
    for name, data, words in (
        ("report.docx", archive.getvalue(), "ZIP archive"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PDF, Word"),
        ("empty.txt", b"", "empty"),
        ("broken.json", b'{"a": ', "does not parse"),
        ("table.csv", b"just one line\n", "header row"),
    ):
        response = upload(builder, gpt_id, name, data)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"]["field"] == "file" and words in response.json()["error"]["message"], name
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf(["Top secret plans."]))))
    writer.encrypt("hunter2")
    locked = io.BytesIO()
    writer.write(locked)
    assert upload(builder, gpt_id, "locked.pdf", locked.getvalue()).status_code == 201
    assert upload(builder, gpt_id, "scan.pdf", image_pdf()).status_code == 201
    assert upload(builder, gpt_id, "cut.pdf", pdf(["Cut off halfway."])[:400]).status_code == 201
    files = {f["name"]: f for f in wait_until_settled(builder, gpt_id)}
    assert files["locked.pdf"]["status"] == "failed" and "encrypted" in files["locked.pdf"]["error"]
    assert files["scan.pdf"]["status"] == "failed" and "only images" in files["scan.pdf"]["error"]
    assert files["cut.pdf"]["status"] == "failed" and "damaged" in files["cut.pdf"]["error"]
    assert builder.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "secret plans"}).json()["items"] == []
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(KnowledgeChunk)) == 0  # nothing of a failed file is kept


def test_a_600_mb_upload_is_refused_before_it_is_read(builder, server):
    gpt_id = builder.create(name="Huge")
    cookies = "; ".join(f"{k}={v}" for k, v in builder.client.cookies.items())
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        head = (f"POST /api/gpts/{gpt_id}/files HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookies}\r\nX-CSRF-Token: {builder.headers['X-CSRF-Token']}\r\n"
                "Accept: application/json\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 629145600\r\n\r\n")
        connection.sendall(head.encode() + b"--b\r\n")
        answer = connection.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert builder.client.get(f"/api/gpts/{gpt_id}/files").json() == []


def test_limits_dedup_removal_and_permissions(builder, make_builder, database, server):
    eve = make_builder("eve@example.com", "Eve")
    gpt_id = builder.create(name="Limits")
    other_gpt = builder.create(name="Second")
    for number in range(server.settings.knowledge_max_files):
        assert upload(builder, gpt_id, f"note{number}.txt", f"Note number {number} about beavers.".encode()).status_code == 201
    full = upload(builder, gpt_id, "one-more.txt", b"One too many.")
    assert full.status_code == 422 and "at most 20" in full.json()["error"]["message"]
    # The same bytes on another GPT of the same owner: one document, ingested once.
    assert upload(builder, other_gpt, "copy.txt", b"Note number 3 about beavers.").status_code == 201
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(KnowledgeDocument)) == 20
    listed = builder.client.get(f"/api/gpts/{gpt_id}/files").json()
    removed = builder.client.delete(f"/api/gpts/{gpt_id}/files/{listed[0]['id']}", headers=builder.headers)
    assert removed.status_code == 204
    assert len(builder.client.get(f"/api/gpts/{gpt_id}/files").json()) == 19
    again = builder.client.delete(f"/api/gpts/{gpt_id}/files/{listed[0]['id']}", headers=builder.headers)
    assert again.status_code == 404 and again.json()["error"]["field"] == "file_id"
    # Someone else can neither list, upload, search nor remove.
    assert eve.client.get(f"/api/gpts/{gpt_id}/files").status_code == 404
    assert upload(eve, gpt_id, "x.txt", b"hello").status_code == 404
    assert eve.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "beavers"}).status_code == 404
    assert eve.client.delete(f"/api/gpts/{gpt_id}/files/{listed[1]['id']}", headers=eve.headers).status_code == 404
    bad = upload(builder, other_gpt, "cut.txt", b"Some text.", chunk_tokens="100", chunk_overlap="100")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "chunk_overlap"


def test_each_version_keeps_the_files_it_was_published_with_and_a_rollback_brings_them_back(builder, database):
    from agora.knowledge import files

    gpt_id = builder.create(name="Versions")
    assert upload(builder, gpt_id, "first.txt", b"The first file.").status_code == 201
    builder.publish(gpt_id)
    first = builder.client.get(f"/api/gpts/{gpt_id}/files").json()[0]
    assert builder.client.delete(f"/api/gpts/{gpt_id}/files/{first['id']}", headers=builder.headers).status_code == 204
    assert upload(builder, gpt_id, "second.txt", b"The second file.").status_code == 201
    builder.publish(gpt_id)
    assert builder.post(f"/api/gpts/{gpt_id}/rollback", json={"version": 1}).status_code == 200
    with database.session() as session:
        names = {number: [f.name for f, _d in files.version_files(session, gpt_id, number)] for number in (1, 2, 3)}
        draft = [f.name for f, _d in files.draft_files(session, gpt_id)]
    assert names == {1: ["first.txt"], 2: ["second.txt"], 3: ["first.txt"]} and draft == ["second.txt"]
