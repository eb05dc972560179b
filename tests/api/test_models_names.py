"""/v1/models names every model and says what it is (issue 20 item 10): OpenAI's fields plus `name`
and `description`, as other gateways add them, so a client can show "Walrus Helper" rather than an id."""

from __future__ import annotations

from agora.api.openai.service import BASE_MODEL_DESCRIPTION, EMBEDDING_DESCRIPTION
from agora.knowledge.embedders.bundled import MODEL as EMBEDDING_MODEL
from tests.api.conftest import make_gpt


def test_models_carry_names_and_descriptions_alongside_openai_s_fields(upstream, client, database):
    gpt = make_gpt(database, name="Walrus Helper")
    listed = {model.id: model.model_dump() for model in client.models.list()}
    assert {k: listed[gpt][k] for k in ("id", "object", "owned_by", "name", "description")} == {
        "id": gpt, "object": "model", "owned_by": "builder", "name": "Walrus Helper", "description": "Walrus Helper describes things"}
    assert listed[gpt]["created"] > 0
    assert listed["standin"]["name"] == "standin" and listed["standin"]["description"] == BASE_MODEL_DESCRIPTION
    assert listed[EMBEDDING_MODEL]["description"] == EMBEDDING_DESCRIPTION
    one = client.models.retrieve(gpt).model_dump()
    assert (one["name"], one["description"]) == ("Walrus Helper", "Walrus Helper describes things")
    assert client.models.retrieve("standin").model_dump()["description"] == BASE_MODEL_DESCRIPTION
