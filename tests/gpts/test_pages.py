"""The builder's pages work as plain HTML forms (no JavaScript needed)."""

import json
import re

from .test_avatars import jpeg_with_gps


def editor_form(**overrides) -> dict:
    return {
        "name": "Form GPT", "description": "Made with the form", "instructions": "Be brief.",
        "welcome_message": "Hi!", "starters": ["One", "Two", "", ""], "avatar": "🦉", "category": "writing",
        "tags": "owls, night", "language": "en", "tr_name": "GPT du formulaire", "temperature": "0,7", "top_p": "1",
        "visibility": "link", "allow_forks": "on", "cap_web_search": "on", "action": "save", **overrides,
    }


def test_pages_need_a_login(browser):
    for path in ("/gpts/new", "/gpts/mine", "/gpts/g-0000000000/edit"):
        response = browser.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_create_with_the_form_then_publish(make_builder):
    ada = make_builder()
    token = ada.client.csrf("/gpts/new")
    created = ada.client.post(
        "/gpts/new", data={**editor_form(), "csrf_token": token}, files={"avatar_file": ("owl.jpg", jpeg_with_gps(), "image/jpeg")}
    )
    assert created.status_code == 303, created.text
    gpt_id = re.match(r"/gpts/(g-\w+)/edit\?notice=saved", created.headers["location"]).group(1)
    draft = ada.client.get(f"/api/gpts/{gpt_id}").json()
    assert draft["visibility"] == "link" and draft["allow_forks"] is True
    content = draft["draft"]
    assert content["avatar"].startswith("/uploads/avatars/") and content["starters"] == ["One", "Two"]
    assert content["tags"] == ["owls", "night"] and content["temperature"] == 0.7
    assert content["localized"] == {"fr": {"name": "GPT du formulaire", "description": "", "instructions": "", "welcome_message": "", "starters": []}}
    assert content["capabilities"]["web_search"] is True and content["capabilities"]["maps"] is False

    page = ada.client.get(created.headers["location"])
    assert "Draft saved." in page.text and 'name="avatar_current"' in page.text
    published = ada.client.post(
        f"/gpts/{gpt_id}/edit", data={**editor_form(action="publish", note="v1"), "avatar_current": content["avatar"], "avatar": "", "csrf_token": token}
    )
    assert published.headers["location"].endswith("notice=published")
    after = ada.client.get(f"/api/gpts/{gpt_id}").json()
    assert after["published_version"] == 1 and after["content"]["avatar"] == content["avatar"]  # the picture stays


def test_form_errors_rerender_with_what_was_typed(make_builder):
    ada = make_builder()
    token = ada.client.csrf("/gpts/new")
    response = ada.client.post("/gpts/new", data={**editor_form(name="n" * 61), "csrf_token": token})
    assert response.status_code == 422
    assert 'id="name-error"' in response.text and "at most 60 characters" in response.text
    assert "Made with the form" in response.text and "n" * 61 in response.text
    bad_number = ada.client.post("/gpts/new", data={**editor_form(temperature="warm"), "csrf_token": token})
    assert bad_number.status_code == 422 and "temperature must be a number" in bad_number.text
    assert ada.client.get("/api/me/gpts").json() == []


def test_import_page_reports_the_pointer(make_builder):
    ada = make_builder()
    token = ada.client.csrf("/gpts/mine")
    bad = {"meta": {"title": "T"}, "config": {"systemRole": "x" * 8001}}
    response = ada.client.post("/gpts/import", data={"csrf_token": token}, files={"file": ("a.json", json.dumps(bad), "application/json")})
    assert response.status_code == 422 and "/config/systemRole" in response.text and "8000" in response.text
    good = {"meta": {"title": "Imported"}, "config": {"systemRole": "Hello"}}
    response = ada.client.post("/gpts/import", data={"csrf_token": token}, files={"file": ("a.json", json.dumps(good), "application/json")})
    assert response.status_code == 303 and response.headers["location"].endswith("/edit?notice=imported")


def test_delete_and_duplicate_from_my_gpts(make_builder):
    ada = make_builder()
    gpt_id = ada.create(name="Twin")
    token = ada.client.csrf("/gpts/mine")
    duplicated = ada.client.post(f"/gpts/{gpt_id}/fork", data={"csrf_token": token})
    assert duplicated.status_code == 303
    mine = ada.client.get("/gpts/mine").text
    assert mine.count("<tr data-gpt=") == 2 and f'Forked from <a href="/g/{gpt_id}">Twin</a>' in mine
    assert ada.client.post(f"/gpts/{gpt_id}/delete", data={"csrf_token": token}).headers["location"] == "/gpts/mine?notice=deleted"
    assert ada.client.get("/gpts/mine").text.count("<tr data-gpt=") == 1


def test_the_calculator_is_a_builder_option_with_its_explanation(make_builder):
    ada = make_builder()
    editor = ada.client.get("/gpts/new").text
    assert 'name="cap_calculator"' in editor and "exact calculator for arithmetic" in editor
    token = ada.client.csrf("/gpts/new")
    created = ada.client.post("/gpts/new", data={**editor_form(cap_calculator="on"), "csrf_token": token})
    gpt_id = re.match(r"/gpts/(g-\w+)/edit", created.headers["location"]).group(1)
    assert ada.client.get(f"/api/gpts/{gpt_id}").json()["draft"]["capabilities"]["calculator"] is True
    assert 'name="cap_calculator" aria-describedby="cap_calculator-hint" checked' in ada.client.get(f"/gpts/{gpt_id}/edit").text
