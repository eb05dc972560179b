"""The stand-in reader answers through the product's reply path: the editor's preview streams from it over HTTP (OpenAI's
SSE wire format) and its reply copies the sentence of the retrieved passages that answers, in English or French, with the
passage's number; the benchmark's answer-contains-fact rate with a stand-in rests on this. On both databases."""

from __future__ import annotations

import pytest

from tests.api.conftest import use_settings
from tests.chat.conftest import sse_events
from tests.knowledge.conftest import PAGES, pdf, upload, wait_until_settled
from tests.knowledge.reader_standin import NOTHING, ReaderStandIn, passages


@pytest.fixture(scope="module")
def reader_server():
    reader = ReaderStandIn().start()
    yield reader
    reader.stop()


@pytest.fixture
def reader(reader_server, server):
    use_settings(server, chat_provider="openai", openai_base_url=reader_server.base_url, openai_models="reader", openai_max_retries=0,
                 openai_timeout_seconds=60.0, openai_context_tokens=4096)
    reader_server.prompts.clear()
    yield reader_server
    server.app.state.settings = server.settings
    server.app.state.chat_provider = None


def _preview(builder, gpt_id: str, question: str) -> dict:
    response = builder.client.post(f"/api/gpts/{gpt_id}/preview", json={"messages": [{"role": "user", "content": question}]},
                                   headers=builder.headers)
    assert response.status_code == 200, response.text
    events = sse_events(response.iter_lines())
    assert events[-1][0] == "done", events
    return {"text": "".join(data["text"] for kind, data in events if kind == "delta"), **events[-1][1]}


def test_the_reader_copies_the_answering_sentence_through_the_preview(builder, reader):
    gpt_id = builder.create(name="Lighthouse", instructions="Answer from the handbook.")
    assert upload(builder, gpt_id, "handbook.pdf", pdf(PAGES)).status_code == 201
    assert [f["status"] for f in wait_until_settled(builder, gpt_id)] == ["ready"]
    english = _preview(builder, gpt_id, "When is the emergency generator tested?")
    assert "tested every Tuesday at 7 am" in english["text"] and english["text"].endswith("]")
    number = int(english["text"].rsplit("[", 1)[1].rstrip("]"))
    assert [c["page"] for c in english["citations"] if c["number"] == number] == [3]
    french = _preview(builder, gpt_id, "Quel jour le groupe électrogène de secours est-il testé ?")  # over an English file
    assert "Tuesday" in french["text"]
    # What the reader read is what the product composed: the instructions, then the numbered passages.
    system = reader.prompts[-1][0]["content"]
    assert system.index("Answer from the handbook.") < system.index("[1] handbook.pdf, page")
    assert any("Tuesday at 7 am" in text for _n, text in passages(system))


def test_without_passages_the_reader_says_so(builder, reader):
    gpt_id = builder.create(name="Empty")
    assert _preview(builder, gpt_id, "When is the generator tested?")["text"] == NOTHING
