"""/v1 calls to a priced GPT: refused without credit (402, a link to buy it), charged once per complete reply, streamed or not."""

from __future__ import annotations

import openai
import pytest

from agora.ledger.verify import discrepancies
from tests.api.conftest import make_key, standin_server, upstream  # noqa: F401 (fixtures: /v1's, with its rate limiter)
from tests.conftest import flush_usage
from tests.credits.conftest import allowance, balance, entries, give_credit, priced_gpt, user_id

MESSAGES = [{"role": "user", "content": "Hello"}]


def sdk(server, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=20)


def test_v1_gpt_calls_are_charged_like_the_chat(upstream, server, database):  # noqa: F811 (the fixture)
    gpt_id = priced_gpt(database, 3)
    key = make_key(database, "dev@example.com", plan="plus")
    allowance(database, "plus", 0)
    with sdk(server, key) as client:
        with pytest.raises(openai.APIStatusError) as refused:
            client.chat.completions.create(model=gpt_id, messages=MESSAGES)
        assert refused.value.status_code == 402 and refused.value.body["code"] == "credits_required"
        assert f"{server.url}/credits" in refused.value.message
        give_credit(database, "dev@example.com", 6, "bank-7")
        assert client.chat.completions.create(model=gpt_id, messages=MESSAGES).choices[0].message.content
        streamed = "".join(chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
            model=gpt_id, messages=MESSAGES, stream=True) if chunk.choices)
        assert streamed
        with pytest.raises(openai.APIStatusError) as empty:
            client.chat.completions.create(model=gpt_id, messages=MESSAGES)
        assert empty.value.status_code == 402
    flush_usage(database)
    dev = user_id(database, "dev@example.com")
    assert [legs[f"user_credit:{dev}:USD"] for legs in entries(database, "message_charge")] == [-3000, -3000]
    assert balance(database, f"user_credit:{dev}:USD") == 0
    with database.session() as session:
        assert list(discrepancies(session)) == []
