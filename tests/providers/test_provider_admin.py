"""The provider admin pages through HTTP: CRUD with CSRF, keys never shown, test connection, the default model."""

from __future__ import annotations

import pytest

from agora.providers import configs, encryption
from agora.providers.models import ProviderConfig
from tests.conftest import SECRET, free_port
from tests.providers.admin_helpers import API_KEY, add_provider, make_admin, provider_form


@pytest.fixture
def admin(database, make_browser):
    return make_admin(database, make_browser)


def stored(database) -> list[ProviderConfig]:
    with database.session() as session:
        return configs.all_rows(session)


def test_only_administrators_see_or_change_providers(browser, admin, upstream):
    assert browser.get("/admin/providers").status_code == 303  # a visitor is sent to log in
    browser.signup()
    assert browser.get("/admin/providers").status_code == 403
    assert browser.get("/admin/providers/new").status_code == 403
    refused = browser.submit("/admin/providers", provider_form(upstream.base_url), form_page="/account")
    assert refused.status_code == 403
    assert "for administrators" in refused.text


def test_a_form_without_its_csrf_token_is_refused(admin, database, upstream):
    response = admin.post("/admin/providers", data=provider_form(upstream.base_url))
    assert response.status_code == 403
    assert not stored(database)


def test_add_edit_disable_enable_and_delete(admin, database, upstream):
    assert add_provider(admin, upstream.base_url).status_code == 303
    [row] = stored(database)
    assert (row.name, row.kind, row.base_url, row.models) == ("Stand-in", "openai", upstream.base_url, ["standin-db", "second-db"])
    assert (row.context_tokens, row.timeout_seconds, row.enabled) == (4000, 2.0, True)

    listing = admin.get("/admin/providers").text
    assert "Stand-in" in listing and "set (ends with …wxyz)" in listing
    assert API_KEY not in listing and API_KEY not in admin.get(f"/admin/providers/{row.id}").text

    # An empty key field keeps the stored key; the other fields change.
    edit = provider_form(upstream.base_url, api_key="", name="Renamed", models="standin-db", timeout_seconds="5")
    assert admin.submit(f"/admin/providers/{row.id}", edit, form_page="/admin/providers").status_code == 303
    [row] = stored(database)
    assert (row.name, row.models, row.timeout_seconds) == ("Renamed", ["standin-db"], 5.0)
    assert encryption.decrypt(row.api_key_encrypted, SECRET) == API_KEY

    new_key = "sk-another-key-0123456789"
    admin.submit(f"/admin/providers/{row.id}", {**edit, "api_key": new_key}, form_page="/admin/providers")
    assert configs.api_key(stored(database)[0], SECRET) == new_key
    admin.submit(f"/admin/providers/{row.id}", {**edit, "clear_key": "1"}, form_page="/admin/providers")
    assert stored(database)[0].api_key_encrypted is None
    assert "Not set." in admin.get(f"/admin/providers/{row.id}").text

    assert "standin-db" in offered_default_choices(admin)
    assert admin.submit(f"/admin/providers/{row.id}", {"action": "disable"}, form_page="/admin/providers").status_code == 303
    assert stored(database)[0].enabled is False
    assert "standin-db" not in offered_default_choices(admin)
    admin.submit(f"/admin/providers/{row.id}", {"action": "enable"}, form_page="/admin/providers")
    assert stored(database)[0].enabled is True

    assert admin.submit(f"/admin/providers/{row.id}", {"action": "delete"}, form_page="/admin/providers").status_code == 303
    assert not stored(database)
    assert admin.get(f"/admin/providers/{row.id}").status_code == 404


def offered_default_choices(admin) -> str:
    page = admin.get("/admin/providers").text
    return page[page.index('id="default_model"'):page.index("</select>", page.index('id="default_model"'))]


@pytest.mark.parametrize("changes, field_text, status", [
    ({"base_url": "not a url"}, "Enter the server&#39;s address", 422),
    ({"kind": "teleport"}, "Choose one of the installed kinds: local, openai", 422),
    ({"models": ""}, "List the models to offer", 422),
    ({"context_tokens": "lots"}, "Enter a number from 256 to 1e+07", 422),
    ({"timeout_seconds": "0"}, "Enter a number from 1 to 600", 422),
    ({"name": ""}, "Names are 1 to 60", 422),
    ({"api_key": "two words"}, "An API key is one word", 422),
])
def test_bad_input_is_refused_next_to_its_field(admin, database, upstream, changes, field_text, status):
    response = add_provider(admin, upstream.base_url, **changes)
    assert response.status_code == status
    assert field_text in response.text
    assert API_KEY not in response.text  # a refused form does not echo the key back either
    assert not stored(database)


def test_names_are_unique_whatever_their_case(admin, upstream):
    add_provider(admin, upstream.base_url)
    again = add_provider(admin, upstream.base_url, name="STAND-IN")
    assert again.status_code == 409 and "Another provider is already named STAND-IN." in again.text


def test_test_connection_lists_the_servers_models_with_the_key(admin, database, upstream):
    upstream.required_key = API_KEY
    page = admin.submit("/admin/providers", provider_form(upstream.base_url, action="test"), form_page="/admin/providers/new")
    assert page.status_code == 200
    assert f"Connected to {upstream.base_url}: the server lists 2 models." in page.text
    assert "Configured here but not listed by the server: standin-db, second-db" in page.text
    assert upstream.authorizations[-1] == f"Bearer {API_KEY}"
    assert not stored(database)  # testing saves nothing

    add_provider(admin, upstream.base_url, models="standin")
    [row] = stored(database)
    saved = admin.submit(f"/admin/providers/{row.id}", {"action": "test_saved"}, form_page="/admin/providers")
    assert "the server lists 2 models" in saved.text and "not listed by the server" not in saved.text
    assert upstream.authorizations[-1] == f"Bearer {API_KEY}"  # the stored key, decrypted for the call


def test_test_connection_says_why_it_failed(admin, upstream):
    upstream.required_key = "sk-the-right-one"
    refused = admin.submit("/admin/providers", provider_form(upstream.base_url, action="test"), form_page="/admin/providers/new")
    assert refused.status_code == 200
    assert f"The model server at {upstream.base_url} refused the request (HTTP 401): Incorrect API key provided" in refused.text

    closed = f"http://127.0.0.1:{free_port()}/v1"
    unreachable = admin.submit("/admin/providers", provider_form(closed, action="test"), form_page="/admin/providers/new")
    assert f"Could not reach the model server at {closed}" in unreachable.text


def test_the_default_model_is_chosen_among_offered_ones(admin, upstream):
    add_provider(admin, upstream.base_url)
    unknown = admin.submit("/admin/providers/default", {"default_model": "nope"}, form_page="/admin/providers")
    assert unknown.status_code == 422 and "No enabled provider offers the model nope." in unknown.text
    assert admin.submit("/admin/providers/default", {"default_model": "second-db"}, form_page="/admin/providers").status_code == 303
    assert "Now answering by default: second-db" in admin.get("/admin/providers").text
    assert admin.submit("/admin/providers/default", {"default_model": ""}, form_page="/admin/providers").status_code == 303
    assert "Now answering by default: smollm2-135m-instruct" in admin.get("/admin/providers").text


def test_the_settings_provider_is_a_read_only_row(admin):
    page = admin.get("/admin/providers").text
    assert "AGORA_CHAT_PROVIDER" in page and "from settings" in page and "smollm2-135m-instruct" in page
    assert "Read-only: change the AGORA_ settings." in page


def test_the_pages_speak_french(admin, upstream):
    add_provider(admin, upstream.base_url)
    admin.headers["Accept-Language"] = "fr"
    page = admin.get("/admin/providers").text
    assert "Fournisseurs de modèles" in page and "défini (se termine par …wxyz)" in page
