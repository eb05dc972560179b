"""In real Chromium, desktop and phone: importing another builder's exported GPT makes a private
copy that credits the original ("Forked from"), never a public listing under the importer's name
(issue 20 item 8)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from agora.accounts import service as accounts
from agora.gpts.models import Gpt
from agora.store.models import Listing
from tests.chat.conftest import make_gpt

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_an_imported_export_is_private_and_credits_the_original(page, database, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 800})
    original = make_gpt(database, name="Walrus Helper", hide=False)
    with database.session() as session:
        accounts.create_user(session, email="ada@example.com", display_name="Ada", password="correct horse battery")
    page.goto("/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    exported = page.request.get(f"/api/gpts/{original}/export")
    assert exported.ok and exported.json()["gpt"]["visibility"] == "public"
    path = tmp_path / "walrus.json"
    path.write_text(json.dumps(exported.json()))

    page.goto("/gpts/mine")
    page.get_by_label("JSON file").set_input_files(path)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported. Only you can use it for now")).to_be_visible()
    expect(page.get_by_label("Who can use it")).to_have_value("private")
    with database.session() as session:
        copy = session.query(Gpt).filter(Gpt.id != original).one()
        assert copy.visibility == "private" and copy.forked_from_id == original
        assert session.query(Listing).filter(Listing.gpt_id == copy.id).count() == 0  # not in the store under Ada's name
        copy_id = copy.id
    page.goto(f"/g/{copy_id}")
    credit = page.get_by_text("Forked from")
    expect(credit).to_be_visible()
    expect(credit.locator(f"a[href='/g/{original}']")).to_have_text("Walrus Helper")
