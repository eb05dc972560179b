"""/v1 through the official openai SDK: sync, async, streaming, models, and the GPT's secrets kept."""

from __future__ import annotations

import asyncio

import httpx
import openai
import pytest

from tests.api.conftest import SECRET_INSTRUCTIONS, make_gpt, make_key, usage_records


def ask(client, model: str, text: str = "Tell me about walruses", **extra):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **extra)


def test_a_gpt_answers_with_its_hidden_instructions_applied_server_side(upstream, client, database):
    gpt = make_gpt(database)
    reply = ask(client, gpt)
    assert reply.object == "chat.completion" and reply.model == gpt
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content == "Hello from the stand-in."
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.completion_tokens == 4 and reply.usage.total_tokens == reply.usage.prompt_tokens + 4
    sent = upstream.requests[-1]["messages"]
    assert sent[0]["role"] == "system" and SECRET_INSTRUCTIONS in sent[0]["content"]
    assert sent[-1] == {"role": "user", "content": "Tell me about walruses"}
    assert SECRET_INSTRUCTIONS not in reply.model_dump_json()

    [record] = usage_records(database)
    assert (record.source, record.gpt_id, record.status, record.message_id) == ("api", gpt, "complete", None)
    assert record.completion_tokens == 4 and record.model == "standin"


def test_sampling_fields_reach_the_provider(upstream, client, database):
    gpt = make_gpt(database)
    ask(client, gpt, temperature=0.2, top_p=0.5, max_tokens=2, stop=["END"], user="customer-42", n=1)
    sent = upstream.requests[-1]
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"], sent["stop"]) == (0.2, 0.5, 2, ["END"])
    reply = ask(client, gpt, max_completion_tokens=3)
    assert upstream.requests[-1]["max_tokens"] == 3
    assert reply.choices[0].finish_reason == "length"


def test_tools_are_passed_through_to_the_provider(upstream, client, database):
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {}}}}]
    ask(client, "standin", tools=tools)
    assert upstream.requests[-1]["tools"] == tools


def test_streaming_chunks_and_usage(upstream, client, database):
    gpt = make_gpt(database)
    stream = ask(client, gpt, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" and c.model == gpt for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the stand-in."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    assert len({c.id for c in chunks}) == 1
    [record] = usage_records(database)
    assert record.source == "api" and record.status == "complete"


def test_streaming_without_usage_has_no_usage_chunk(upstream, client):
    chunks = list(ask(client, "standin", stream=True))
    assert all(c.usage is None and c.choices for c in chunks)


def test_async_client(upstream, server, key, database):
    gpt = make_gpt(database)

    async def main():
        async with openai.AsyncOpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0) as sdk:
            replies = await asyncio.gather(*[sdk.chat.completions.create(model=gpt, messages=[{"role": "user", "content": f"q{i}"}]) for i in range(3)])
            stream = await sdk.chat.completions.create(model="standin", messages=[{"role": "user", "content": "hi"}], stream=True)
            pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
            return replies, "".join(pieces)

    replies, streamed = asyncio.run(main())
    assert [r.choices[0].message.content for r in replies] == ["Hello from the stand-in."] * 3
    assert streamed == "Hello from the stand-in."
    assert len(usage_records(database)) == 4


def test_models_list_and_retrieve_show_what_the_owner_may_use(upstream, client, database):
    public = make_gpt(database, name="Public One")
    private_other = make_gpt(database, name="Someone's Secret", visibility="private")
    own_private = make_gpt(database, name="My Draft Helper", visibility="private", owner_email="dev@example.com")
    ids = [m.id for m in client.models.list()]
    assert ids[:2] == ["standin", "other"]
    assert own_private in ids and public in ids and private_other not in ids
    model = client.models.retrieve(public)
    assert (model.id, model.object, model.owned_by) == (public, "model", "builder")
    assert client.models.retrieve("standin").owned_by == "system"
    with pytest.raises(openai.NotFoundError) as refused:
        client.models.retrieve(private_other)
    assert refused.value.body["code"] == "model_not_found"


def test_a_key_never_reaches_a_gpt_its_owner_cannot(upstream, server, database):
    secret = make_gpt(database, visibility="private")
    link_only = make_gpt(database, name="Link Only", visibility="link")
    stranger = make_key(database, "stranger@example.com")
    builder = make_key(database, "builder@example.com")
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=stranger, max_retries=0) as sdk:
        with pytest.raises(openai.NotFoundError):
            ask(sdk, secret)
        with pytest.raises(openai.NotFoundError):
            ask(sdk, secret, stream=True)
        assert ask(sdk, link_only).choices[0].message.content  # shared by link: usable, as in the chat
        assert link_only in [m.id for m in sdk.models.list()]  # the same rule as the chat's
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=builder, max_retries=0) as sdk:
        assert ask(sdk, secret).choices[0].message.content
    assert len(upstream.requests) == 2


def test_base_models_can_be_limited_or_hidden(upstream, server, client):
    from tests.api.conftest import use_settings

    use_settings(server, api_base_models="other")
    # The embedding model (/v1/embeddings) is listed whatever the chat models are.
    assert [m.id for m in client.models.list()] == ["other", "agora-use-multilingual-v3"]
    with pytest.raises(openai.NotFoundError):
        ask(client, "standin")
    use_settings(server, api_base_models="")
    assert [m.id for m in client.models.list()] == ["agora-use-multilingual-v3"]


def test_developer_and_multipart_messages_are_accepted(upstream, client):
    client.chat.completions.create(
        model="standin",
        messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]}],
    )
    assert upstream.requests[-1]["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"}]


def test_a_client_that_leaves_a_stream_stops_the_upstream_and_is_metered_as_stopped(upstream, server, key, database):
    from tests.chat.conftest import eventually

    upstream.next("slow")
    with httpx.Client(base_url=f"{server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=20) as http:
        with http.stream("POST", "/chat/completions", json={"model": "standin", "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as reply:
            lines = reply.iter_lines()
            assert next(line for line in lines if line.startswith("data: ")).startswith('data: {"id": "chatcmpl-')
    assert eventually(lambda: upstream.aborted == 1)
    assert eventually(lambda: [r.status for r in usage_records(database)] == ["stopped"])
