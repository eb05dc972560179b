"""Import and export: the agora.gpt round trip, LobeHub and Open WebUI files, precise errors."""

import base64
import copy
import io
import json

from PIL import Image
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.demo.acting import ACTING
from agora.demo.seed import seed_demo
from agora.gpts import importing
from agora.gpts.export import export_document
from agora.gpts.models import Gpt, GptVersion

LOBEHUB_SOURCE = {
    "author": "9Somboon",
    "config": {
        "systemRole": "You write detailed prompts for AI image generation.\n\nAsk how many prompts are needed.",
        "openingMessage": "Hello! I'm the AI Image Prompt Architect.",
        "openingQuestions": ["How many prompts would you like?", "Do you have a style in mind?"],
        "params": {"temperature": 0.7},
    },
    "createdAt": "2024-03-05",
    "homepage": "https://github.com/9Somboon",
    "identifier": "9-somboon",
    "meta": {
        "avatar": "📸",
        "description": "Specialises in creating detailed prompts for AI image generation.",
        "tags": ["stable-diffusion", "prompts"],
        "title": "AI Image Prompt Architect",
        "category": "design",
    },
    "schemaVersion": 1,
}


def png_data_url(color=(200, 30, 30)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), color).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


OPEN_WEBUI_EXPORT = [
    {
        "id": "sql-helper",
        "user_id": "4a1c",
        "base_model_id": "llama3.1:8b",
        "name": "SQL Helper",
        "params": {"system": "You are a careful PostgreSQL expert.", "temperature": 0.2, "top_p": 0.9},
        "meta": {
            "profile_image_url": png_data_url(),
            "description": "Writes and explains SQL queries.",
            "suggestion_prompts": [{"content": "Explain this query"}, {"content": "Index advice"}],
            "tags": [{"name": "sql"}, {"name": "databases"}],
            "capabilities": {"vision": False, "citations": True},
        },
        "access_control": None,
        "is_active": True,
        "updated_at": 1717000000,
        "created_at": 1717000000,
    }
]


def comparable(document: dict) -> dict:
    """The document without what is allowed to differ: ids and timestamps."""
    document = copy.deepcopy(document)
    document.pop("exported_at")
    for key in ("id", "created_at", "updated_at"):
        document["gpt"].pop(key)
    for version in document["gpt"]["versions"]:
        version.pop("published_at")
    return document


def test_every_demo_gpt_survives_export_import_export(database, server):
    seed_demo(database)
    with database.session() as session:
        importer = accounts.create_user(session, email="importer@example.com", display_name="Importer", password=None)
        ids = list(session.scalars(select(Gpt.id).order_by(Gpt.id)))
        assert len(ids) == 505 + len(ACTING)  # the catalogue and the GPTs that act
        for gpt_id in ids:
            original = session.get(Gpt, gpt_id)
            owner = session.get(User, original.owner_id)
            first = export_document(session, original, viewer=owner, settings=server.settings)
            parsed = importing.parse(json.loads(json.dumps(first)))  # as if read from a file
            copy_ = importing.create(session, parsed[0], owner=importer, home=server.settings.home)
            second = export_document(session, copy_, viewer=importer, settings=server.settings)
            expected = comparable(first)  # someone else's GPT: a private copy crediting it
            expected["gpt"].update(visibility="private", forked_from=gpt_id)
            assert comparable(second) == expected, gpt_id
            assert second["gpt"]["id"] != first["gpt"]["id"]


def test_round_trip_through_the_api_keeps_versions_and_uploaded_avatar(make_builder):
    ada = make_builder()
    gpt_id = ada.create(name="Chef", instructions="Cook.", localized={"fr": {"name": "Cuisinier", "starters": ["Une recette ?"]}})
    ada.publish(gpt_id, "first")
    image = base64.b64decode(png_data_url().split(",", 1)[1])
    uploaded = ada.post(f"/api/gpts/{gpt_id}/avatar", files={"file": ("me.png", image, "image/png")})
    assert uploaded.status_code == 200
    ada.patch(gpt_id, instructions="Cook well.", visibility="link", allow_forks=True)
    ada.publish(gpt_id, "second")
    ada.patch(gpt_id, description="unpublished")
    first = ada.client.get(f"/api/gpts/{gpt_id}/export")
    assert first.status_code == 200 and "attachment" in first.headers["content-disposition"]
    assert set(first.json()["gpt"]["avatar_images"]) == {uploaded.json()["avatar"]}

    imported = ada.post("/api/gpts/import", content=first.content, headers={**ada.headers, "content-type": "application/json"})
    assert imported.status_code == 201 and imported.json()["format"] == "agora.gpt"
    (new_id,) = imported.json()["ids"]
    second = ada.client.get(f"/api/gpts/{new_id}/export").json()
    assert second["gpt"]["visibility"] == "private"  # an import starts "Only me"; the importer shares it
    assert comparable(second) == {**comparable(first.json()), "gpt": {**comparable(first.json())["gpt"], "visibility": "private"}}
    assert ada.client.get(second["gpt"]["draft"]["avatar"]).status_code == 200


def test_lobehub_source_file_imports_as_a_private_draft(make_builder):
    ada = make_builder()
    response = ada.post("/api/gpts/import", json=LOBEHUB_SOURCE)
    assert response.status_code == 201 and response.json()["format"] == "lobehub"
    gpt = ada.client.get(f"/api/gpts/{response.json()['ids'][0]}").json()
    draft = gpt["draft"]
    assert gpt["visibility"] == "private" and gpt["published_version"] is None
    assert draft["name"] == "AI Image Prompt Architect" and draft["avatar"] == "📸" and draft["category"] == "design"
    assert draft["instructions"].startswith("You write detailed prompts")
    assert draft["welcome_message"].startswith("Hello!") and len(draft["starters"]) == 2
    assert draft["tags"] == ["stable-diffusion", "prompts"] and draft["temperature"] == 0.7


def test_lobehub_index_record_keeps_the_french_translation(make_builder):
    ada = make_builder()
    with open("src/agora/demo/data/agents.jsonl", encoding="utf-8") as f:
        record = next(json.loads(line) for line in f if json.loads(line)["fr"].get("title") and len(json.loads(line)["en"]["instructions"]) < 8000)
    response = ada.post("/api/gpts/import", json=record)
    assert response.status_code == 201, response.text
    draft = ada.client.get(f"/api/gpts/{response.json()['ids'][0]}").json()["draft"]
    assert draft["name"] == record["en"]["title"] and draft["localized"]["fr"]["name"] == record["fr"]["title"]


def test_open_webui_export_imports_with_its_picture(make_builder):
    ada = make_builder()
    response = ada.post("/api/gpts/import", json=OPEN_WEBUI_EXPORT)
    assert response.status_code == 201 and response.json()["format"] == "open-webui"
    draft = ada.client.get(f"/api/gpts/{response.json()['ids'][0]}").json()["draft"]
    assert draft["name"] == "SQL Helper" and draft["instructions"] == "You are a careful PostgreSQL expert."
    assert draft["starters"] == ["Explain this query", "Index advice"] and draft["tags"] == ["sql", "databases"]
    assert draft["temperature"] == 0.2 and draft["top_p"] == 0.9 and draft["model"] is None
    picture = ada.client.get(draft["avatar"])
    assert picture.status_code == 200 and Image.open(io.BytesIO(picture.content)).size == (512, 512)


def test_malformed_files_get_precise_errors_and_write_nothing(make_builder, database):
    ada = make_builder()
    good = ada.client.get(f"/api/gpts/{ada.create(name='Source')}/export").json()
    with database.session() as session:
        before = session.scalar(select(func.count()).select_from(Gpt))

    def refused(body, field, *words):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = ada.post("/api/gpts/import", content=raw, headers={**ada.headers, "content-type": "application/json"})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["field"] == field, error
        for word in words:
            assert word in error["message"], error

    refused(b"{not json", "/", "not valid JSON", "line 1")
    refused({"hello": "world"}, "/", "LobeHub", "Open WebUI")
    refused({**LOBEHUB_SOURCE, "config": {**LOBEHUB_SOURCE["config"], "openingQuestions": ["a", "b", "c", "d", "e"]}}, "/config/openingQuestions", "4")
    refused({**LOBEHUB_SOURCE, "config": {**LOBEHUB_SOURCE["config"], "systemRole": "x" * 8001}}, "/config/systemRole", "8000")
    refused({**LOBEHUB_SOURCE, "meta": {**LOBEHUB_SOURCE["meta"], "title": None}}, "/meta/title", "required")
    refused([OPEN_WEBUI_EXPORT[0], {**OPEN_WEBUI_EXPORT[0], "params": {"temperature": 9}}], "/1/params/temperature", "2")
    refused([{**OPEN_WEBUI_EXPORT[0], "meta": {"profile_image_url": "data:image/png;base64," + base64.b64encode(b"not a picture").decode()}}], "/0/meta/profile_image_url", "PNG")
    refused({**good, "format_version": 99}, "/format_version", "1")
    bad_version = copy.deepcopy(good)
    bad_version["gpt"]["versions"] = [{"number": 1, "note": "", "content": {**good["gpt"]["draft"], "name": "n" * 61}}]
    refused(bad_version, "/gpt/versions/0/content/name", "60")
    bad_category = copy.deepcopy(good)
    bad_category["gpt"]["draft"]["category"] = "astrology"
    refused(bad_category, "/gpt/draft/category", "astrology")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Gpt)) == before
        assert session.scalar(select(func.count()).select_from(GptVersion)) == 0


def test_non_editors_export_the_live_version_only(make_builder):
    ada, bob = make_builder(), make_builder("bob@example.com", "Bob")
    gpt_id = ada.create(name="Shared", instructions="v1 text", visibility="public")
    ada.publish(gpt_id)
    ada.patch(gpt_id, instructions="draft text")
    document = bob.client.get(f"/api/gpts/{gpt_id}/export").json()
    assert document["gpt"]["draft"] is None and len(document["gpt"]["versions"]) == 1
    assert "draft text" not in json.dumps(document) and "v1 text" in json.dumps(document)
