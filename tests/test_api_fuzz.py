"""Schemathesis over the JSON API (/api/openapi.json): whatever a signed-in client sends, never a 5xx.

Every operation of the OpenAPI document gets generated requests, valid and invalid by its
schema (wrong types, huge numbers, NUL bytes, missing fields), on both databases, sent
over HTTP with an administrator's session cookie and CSRF header; half of them aim at
things that exist (a GPT, a conversation, a team, an invitation...), so the generated
bodies reach the services and the database, not only the 404. The rule is no 5xx, ever;
answers must also have the status codes, content types and shapes the document promises.
Derandomised and bounded (MAX_EXAMPLES per operation and mode), so a run is repeatable.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

from agora.accounts.models import User
from tests.chat.conftest import standin_server, upstream  # noqa: F401  (fixtures: replies come from the stand-in model server)

MAX_EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def sign_in_as_admin(browser, database) -> dict[str, str]:
    """Headers of a signed-in administrator: session and CSRF cookies, and the CSRF header. Sent explicitly with
    each case, so a generated sign-up or log-in (which set cookies) cannot switch users."""
    assert browser.signup(email="fuzz@example.com", password="correct horse battery", name="Fuzz").status_code == 303
    with database.session() as session:
        session.query(User).filter_by(email="fuzz@example.com").one().role = "admin"
    return {**browser.api_headers(), "Cookie": "; ".join(f"{name}={value}" for name, value in browser.cookies.items())}


def existing_things(browser, headers) -> dict[str, object]:
    """Path parameters naming things that exist and are the user's: a published GPT, a conversation, a team..."""
    post = lambda path, body: browser.post(path, json=body, headers=headers).json()  # noqa: E731
    me = browser.get("/api/me").json()
    gpt = post("/api/gpts", {"name": "Fuzz target", "starters": ["Hello"]})["id"]
    post(f"/api/gpts/{gpt}/publish", {"note": "first"})
    team = post("/api/workspaces", {"name": "Fuzz team"})["id"]  # now the workspace the user works in
    invoice = post("/api/subscription", {"plan": "team", "seats": 3})["invoice"]  # seats to invite someone to
    invite = post(f"/api/workspaces/{team}/invites", {"email": "guest@example.com"})
    pending = browser.get(f"/api/workspaces/{team}/members").json()["pending"]
    return {
        "gpt_id": gpt, "conversation_id": post("/api/conversations", {"gpt_id": gpt})["id"], "handle": me["handle"],
        "workspace_id": team, "user_id": me["id"], "invite_id": pending[0]["invite_id"], "token": invite["url"].rsplit("/", 1)[1],
        "domain_id": post("/api/me/domains", {"domain": "fuzz.example"})["id"], "code": "plus", "number": invoice,
    }


def modes(operation) -> list[GenerationMode]:
    """Invalid requests too, when the operation has a body or a parameter that can be invalid."""
    def free_text(schema: dict) -> bool:  # every string satisfies it: nothing to make invalid
        arms = schema.get("anyOf", [schema])
        return all(arm.get("type") in ("string", "null") and not set(arm) - {"type", "title", "description", "default"} for arm in arms)

    raw = operation.definition.raw
    negatable = "requestBody" in raw or not all(free_text(p.get("schema", {})) for p in raw.get("parameters", []))
    return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if negatable else [GenerationMode.POSITIVE]


def in_order(operations: list) -> list:
    """Deleting and signing out last, so the things they remove serve every other operation first."""
    return sorted(operations, key=lambda op: (op.path == "/api/auth/logout", op.method.upper() == "DELETE"))


def test_no_operation_answers_a_server_error(server, database, make_browser, upstream):  # noqa: F811
    browser = make_browser()
    headers = sign_in_as_admin(browser, database)
    existing = existing_things(browser, headers)
    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    failures = []
    for operation in in_order([result.ok() for result in schema.get_all_operations()]):
        names = {p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "path"}
        for mode in modes(operation):
            anything = operation.as_strategy(generation_mode=mode)
            aimed = operation.as_strategy(generation_mode=mode, path_parameters={n: existing[n] for n in names & existing.keys()})

            @given(case=st.one_of(anything, aimed) if names & existing.keys() else anything)
            @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
            def call(case) -> None:
                response = case.call(base_url=server.url, headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                call()
            except (Exception, BaseExceptionGroup) as error:  # every operation is tried; all failures are reported together
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
