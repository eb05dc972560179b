"""Knowledge in replies: passages in the prompt within budget, numbered citations in the preview, the chat and /v1
(OpenAI's file_citation annotations), the published version's files frozen, and /v1/embeddings; on both databases."""

from __future__ import annotations

import base64

import numpy as np
import openai
import pytest

from tests.api.conftest import make_key
from tests.chat.conftest import ChatClient, standin_server, upstream  # noqa: F401  (the fixtures, for these tests)
from tests.knowledge.conftest import PAGES, pdf, upload, wait_until_settled, word


@pytest.fixture
def published(builder):
    gpt_id = builder.create(name="Lighthouse", instructions="Answer from the handbook.")
    assert upload(builder, gpt_id, "handbook.pdf", pdf(PAGES)).status_code == 201
    assert upload(builder, gpt_id, "policy.docx", word(["Parking is free for staff in the north car park."])).status_code == 201
    assert [f["status"] for f in wait_until_settled(builder, gpt_id)] == ["ready", "ready"]
    builder.publish(gpt_id)
    return gpt_id


def _preview(builder, gpt_id, question):
    from tests.chat.conftest import sse_events

    response = builder.client.post(f"/api/gpts/{gpt_id}/preview", json={"messages": [{"role": "user", "content": question}]}, headers=builder.headers)
    assert response.status_code == 200, response.text
    return sse_events(response.iter_lines())


def test_the_preview_gets_numbered_passages_and_shows_citations_with_pages(builder, published, upstream):
    upstream.reply = "The generator is tested every Tuesday [1]."
    events = _preview(builder, published, "When is the generator tested?")
    done = events[-1][1]
    assert [(c["number"], c["file_name"], c["page"], c["label"]) for c in done["citations"]] == [(1, "handbook.pdf", 3, "handbook.pdf, page 3")]
    assert "Tuesday at 7 am" in done["citations"][0]["quote"]
    system = upstream.requests[-1]["messages"][0]["content"]
    assert "Answer from the handbook." in system and "[1] handbook.pdf, page 3:\nChapter three." in system
    assert system.index("Answer from the handbook.") < system.index("[1] handbook.pdf")  # after the instructions
    # Cited by none of their numbers: every passage given is shown, in order.
    upstream.reply = "Hello from the stand-in."
    shown = _preview(builder, published, "Where can staff park?")[-1][1]["citations"]
    assert shown[0]["file_name"] == "policy.docx" and shown[0]["page"] is None and len(shown) >= 2


def test_passages_fit_the_token_budget(builder, published, upstream, server):
    from tests.api.conftest import use_settings

    use_settings(server, chat_provider="openai", openai_base_url=upstream.base_url, openai_models="standin,other", openai_context_tokens=1200,
                 chat_max_reply_tokens=200, knowledge_context_tokens=200, openai_max_retries=0)
    done = _preview(builder, published, "When is the generator tested?")[-1][1]
    assert [c["number"] for c in done["citations"]] == [1]  # the first passage, cut to fit; no second one
    system = upstream.requests[-1]["messages"][0]["content"]
    assert "[2]" not in system and len(system) < 1200


def test_the_chat_shows_citations_and_keeps_them_with_the_reply(builder, published, upstream, database):
    upstream.reply = "Every Tuesday [1]."
    chat = ChatClient(builder.client)
    conversation = chat.start(published)
    done = chat.send(conversation, "When is the generator tested?")[-1]
    assert done[0] == "done" and done[1]["citations"][0]["label"] == "handbook.pdf, page 3"
    page = builder.client.get(f"/c/{conversation}").text
    assert 'class="citations"' in page and "[1] handbook.pdf, page 3" in page and "Tuesday at 7 am" in page


def test_v1_replies_carry_file_citation_annotations_from_the_published_version(builder, published, upstream, server, database):
    key = make_key(database, email="ada@example.com")
    # The draft loses the handbook; the published version keeps answering from it.
    handbook = builder.client.get(f"/api/gpts/{published}/files").json()[0]
    assert builder.client.delete(f"/api/gpts/{published}/files/{handbook['id']}", headers=builder.headers).status_code == 204
    upstream.reply = "Every Tuesday at 7 am [1]."
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30) as sdk:
        completion = sdk.chat.completions.create(model=published, messages=[{"role": "user", "content": "When is the generator tested?"}])
        annotation = completion.model_dump()["choices"][0]["message"]["annotations"][0]
        assert annotation["type"] == "file_citation" and annotation["text"] == "[1]"
        assert (annotation["start_index"], annotation["end_index"]) == (22, 25)
        cited = annotation["file_citation"]
        assert (cited["file_id"], cited["filename"], cited["page"]) == (f"file-{handbook['id']}", "handbook.pdf", 3)
        stream = sdk.chat.completions.create(model=published, messages=[{"role": "user", "content": "When is the generator tested?"}], stream=True)
        last = [chunk.model_dump() for chunk in stream if chunk.choices][-1]["choices"][0]
        assert last["finish_reason"] == "stop" and last["delta"]["annotations"][0]["file_citation"]["page"] == 3
    # The draft's preview no longer has the handbook.
    preview = _preview(builder, published, "When is the generator tested?")[-1][1]["citations"]
    assert all(c["file_name"] == "policy.docx" for c in preview)


def test_v1_embeddings_in_openai_shapes(server, database, upstream):
    key = make_key(database)
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30) as sdk:
        assert "agora-use-multilingual-v3" in [m.id for m in sdk.models.list()]
        assert sdk.models.retrieve("agora-use-multilingual-v3").owned_by == "system"
        answer = sdk.embeddings.create(model="agora-use-multilingual-v3", input=["Où est la gare ?", "Where is the train station?", "I like cheese."])
        vectors = np.array([item.embedding for item in answer.data])
        assert vectors.shape == (3, 512) and [item.index for item in answer.data] == [0, 1, 2] and answer.usage.total_tokens > 0
        assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2  # the French question is near its English translation
        raw = sdk.embeddings.with_raw_response.create(model="agora-use-multilingual-v3", input="Bonjour", encoding_format="base64").parse()
        decoded = np.frombuffer(base64.b64decode(raw.data[0].embedding), dtype="<f4") if isinstance(raw.data[0].embedding, str) else raw.data[0].embedding
        assert len(decoded) == 512
        for body, param in (({"model": "nope", "input": "x"}, "model"), ({"input": [1, 2]}, "input"), ({"input": ""}, "input"),
                            ({"input": "x", "encoding_format": "int8"}, "encoding_format"), ({"input": "x", "dimensions": 64}, "dimensions")):
            with pytest.raises(openai.APIStatusError) as refused:
                sdk.embeddings.create(**{"model": "agora-use-multilingual-v3", **body})
            assert refused.value.status_code in (400, 404) and refused.value.body["param"] == param, body
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key="agora-sk-wrong", max_retries=0) as stranger, pytest.raises(openai.AuthenticationError):
        stranger.embeddings.create(model="agora-use-multilingual-v3", input="x")
