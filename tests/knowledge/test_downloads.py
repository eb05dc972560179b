"""Downloading a GPT's knowledge files: the builder's switch (off by default, frozen with each version), citation links,
who may download what, the headers of the file sent, and GPTs with hidden instructions; on both databases."""

from __future__ import annotations

import httpx
import pytest

from agora.knowledge.downloads import disposition
from tests.chat.conftest import ChatClient, standin_server, upstream  # noqa: F401  (the fixtures, for these tests)
from tests.knowledge.conftest import PAGES, pdf, upload, wait_until_settled

QUESTION = "When is the generator tested?"
HANDBOOK = pdf(PAGES)  # made once: a PDF carries the time it was made


@pytest.fixture
def shared(builder):
    """A GPT anyone with the link may use, with a PDF, its files downloadable, published."""
    gpt_id = builder.create(name="Lighthouse", visibility="link", knowledge_downloads=True)
    assert upload(builder, gpt_id, "handbook.pdf", HANDBOOK).status_code == 201
    assert [f["status"] for f in wait_until_settled(builder, gpt_id)] == ["ready"]
    builder.publish(gpt_id)
    return gpt_id


def _cited(client, gpt_id: str) -> list[dict]:
    chat = ChatClient(client)
    done = chat.send(chat.start(gpt_id), QUESTION)[-1]
    assert done[0] == "done", done
    return done[1]["citations"]


def test_a_user_downloads_a_cited_file_when_the_builder_allows_it(builder, make_builder, shared, upstream, server):
    upstream.reply = "Every Tuesday at 7 am [1]."
    reader = make_builder("eve@example.com", "Eve")
    file_id = builder.client.get(f"/api/gpts/{shared}/files").json()[0]["id"]
    citation = _cited(reader.client, shared)[0]
    assert citation["download"] == f"/api/gpts/{shared}/files/{file_id}/download"
    assert citation["download_label"] == "Download handbook.pdf"

    response = reader.client.get(citation["download"])
    assert response.status_code == 200
    assert response.content == HANDBOOK
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == "attachment; filename=\"handbook.pdf\"; filename*=UTF-8''handbook.pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-length"] == str(len(HANDBOOK))
    # Not signed in: refused; a file added to the draft after publishing is not the published version's.
    assert httpx.get(f"{server.url}{citation['download']}").status_code == 401
    assert upload(builder, shared, "later.txt", b"Draft-only notes about the lantern.").status_code == 201
    later = builder.client.get(f"/api/gpts/{shared}/files").json()[-1]["id"]
    assert reader.client.get(f"/api/gpts/{shared}/files/{later}/download").status_code == 404
    assert builder.client.get(f"/api/gpts/{shared}/files/{later}/download").status_code == 404
    assert reader.client.get(f"/api/gpts/{shared}/files/999999/download").status_code == 404


def test_the_switch_is_off_by_default_and_frozen_with_each_version(builder, make_builder, upstream):
    upstream.reply = "Every Tuesday [1]."
    gpt_id = builder.create(name="Closed", visibility="link")
    assert upload(builder, gpt_id, "handbook.pdf", HANDBOOK).status_code == 201
    wait_until_settled(builder, gpt_id)
    builder.publish(gpt_id)
    reader = make_builder("eve@example.com", "Eve")
    file_id = builder.client.get(f"/api/gpts/{gpt_id}/files").json()[0]["id"]
    route = f"/api/gpts/{gpt_id}/files/{file_id}/download"
    assert "download" not in _cited(reader.client, gpt_id)[0]
    assert reader.client.get(route).status_code == 404

    # Turned on in the draft: nothing changes until it is published.
    assert builder.patch(gpt_id, knowledge_downloads=True).status_code == 200
    assert reader.client.get(route).status_code == 404
    builder.publish(gpt_id)
    assert reader.client.get(route).status_code == 200
    assert _cited(reader.client, gpt_id)[0]["download"] == route
    # Someone the GPT is not shared with learns nothing.
    private = builder.create(name="Private", knowledge_downloads=True)
    assert upload(builder, private, "handbook.pdf", pdf(PAGES)).status_code == 201
    wait_until_settled(builder, private)
    builder.publish(private)
    private_file = builder.client.get(f"/api/gpts/{private}/files").json()[0]["id"]
    assert builder.client.get(f"/api/gpts/{private}/files/{private_file}/download").status_code == 200
    assert reader.client.get(f"/api/gpts/{private}/files/{private_file}/download").status_code == 404
    # Another GPT's file through this GPT's route: not found either.
    assert reader.client.get(f"/api/gpts/{gpt_id}/files/{private_file}/download").status_code == 404

    # Turned off and published: the route refuses, and new citations have no link.
    assert builder.patch(gpt_id, knowledge_downloads=False).status_code == 200
    builder.publish(gpt_id)
    assert reader.client.get(route).status_code == 404
    assert "download" not in _cited(reader.client, gpt_id)[0]


def test_a_gpt_with_hidden_instructions_never_offers_its_files(builder, shared):
    refused = builder.patch(shared, hide_instructions=True)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["field"] == "knowledge_downloads" and "hidden instructions" in error["message"]
    assert builder.patch(shared, hide_instructions=True, knowledge_downloads=False).status_code == 200
    assert builder.create(name="Both", hide_instructions=True, knowledge_downloads=False)
    both = builder.client.post("/api/gpts", json={"name": "Both", "hide_instructions": True, "knowledge_downloads": True}, headers=builder.headers)
    assert both.status_code == 422 and both.json()["error"]["field"] == "knowledge_downloads"


def test_the_preview_links_no_download(builder, shared, upstream):
    from tests.chat.conftest import sse_events

    upstream.reply = "Every Tuesday [1]."
    response = builder.client.post(f"/api/gpts/{shared}/preview", json={"messages": [{"role": "user", "content": QUESTION}]}, headers=builder.headers)
    citations = sse_events(response.iter_lines())[-1][1]["citations"]
    assert citations and all("download" not in c for c in citations)


def test_the_file_name_sent_is_safe():
    assert disposition("rapport d'été.pdf") == "attachment; filename=\"rapport d_ete.pdf\"; filename*=UTF-8''rapport%20d%27%C3%A9t%C3%A9.pdf"
    assert disposition('a"b\\c\r\n.txt') == "attachment; filename=\"a_b_c_.txt\"; filename*=UTF-8''a%22b%5Cc%0D%0A.txt"
    assert disposition("日本語") == "attachment; filename=\"file\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E"
