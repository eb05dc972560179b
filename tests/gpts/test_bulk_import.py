"""A way in from hosted GPTs: many definitions from one JSON or CSV file, through the API, the
My GPTs page and `agora gpts import`; capabilities mapped, what is not carried over reported,
a bad row refusing the whole file and naming where it is."""

from __future__ import annotations

import json
import os
import subprocess

from sqlalchemy import func, select

from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from tests.conftest import AGORA

ROWS = [
    {"name": "HR helper", "description": "Answers HR questions", "instructions": "Be kind.",
     "conversation_starters": ["How many days off?", "Who is my manager?"], "capabilities": ["web_browsing", "dalle", "file_search"]},
    {"name": "Legal drafts", "instructions": "Draft contracts.", "starters": [], "capabilities": [], "gizmo_id": "g-abc123"},
]
CSV = (
    "name,description,instructions,starters,capabilities,owner\n"
    '"Sales coach","Coaches reps","Ask questions first.","Role-play a call\nReview my email","Web Browsing; Code Interpreter",ana@acme.com\n'
    '"=SUM(1)","","Formula-looking names are just names.","","",\n'
)


def _count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Gpt))


def _content(database, name: str) -> GptContent:
    with database.session() as session:
        return GptContent.model_validate(session.scalar(select(Gpt.draft).where(Gpt.name == name)))


def test_a_json_list_imports_with_capabilities_mapped_and_the_rest_reported(browser, database):
    browser.signup()
    answer = browser.post("/api/gpts/import", content=json.dumps(ROWS), headers={**browser.api_headers(), "Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["format"] == "hosted-bulk" and len(body["ids"]) == 2
    assert body["notes"] == ["/0: capability 'web_browsing' is kept; it works where this server's operator has set up its service.",
                             "/0: capability 'dalle' has no equivalent in Agora and is not carried over.",
                             "/0: the knowledge files themselves are not in the file: upload them in the GPT's Knowledge section.",
                             "/1: gizmo_id is not carried over (Agora has no such field)."]
    hr = _content(database, "HR helper")
    assert hr.starters == ["How many days off?", "Who is my manager?"] and hr.instructions == "Be kind."
    assert (hr.capabilities.web_search, hr.capabilities.knowledge, hr.capabilities.actions) == (True, True, False)


def test_a_csv_file_imports_from_the_page_and_a_bad_row_refuses_all(browser, database):
    browser.signup()
    page = browser.post("/gpts/import", data={"csrf_token": browser.csrf("/gpts/mine")}, files={"file": ("gpts.csv", CSV.encode(), "text/csv")})
    assert page.status_code == 201 and "data-import-notes" in page.text
    assert "line 2: capability &#39;Code Interpreter&#39; has no equivalent" in page.text and "line 2: owner is not carried over" in page.text
    coach = _content(database, "Sales coach")
    assert coach.starters == ["Role-play a call", "Review my email"] and coach.capabilities.web_search
    assert _content(database, "=SUM(1)").instructions == "Formula-looking names are just names."

    before = _count(database)
    bad = "name,instructions\nFine,ok\n" + "x" * 61 + ",too long a name\n"
    refused = browser.post("/api/gpts/import", content=bad.encode(), headers={**browser.api_headers(), "Content-Type": "text/csv"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "line 3: name", refused.text
    assert _count(database) == before  # the good row was not created either
    no_header = browser.post("/api/gpts/import", content=b"just,some,words\n", headers=browser.api_headers())
    assert no_header.status_code == 422 and "header row" in no_header.json()["error"]["message"]


def test_agora_gpts_import_reads_the_same_file(browser, database, tmp_path):
    browser.signup()
    path = tmp_path / "gpts.csv"
    path.write_text(CSV, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_DATABASE_URL=database.engine.url.render_as_string(hide_password=False), AGORA_SECRET_KEY="x" * 40, AGORA_HOME=str(tmp_path))
    run = subprocess.run([AGORA, "gpts", "import", str(path), "--owner", "ada@example.com"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "Imported 2 GPTs from 1 of 1 files" in run.stdout
    assert f"{path}: line 2: capability 'Code Interpreter' has no equivalent in Agora and is not carried over." in run.stderr
