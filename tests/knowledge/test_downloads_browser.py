"""In a real Chromium, desktop and phone: the builder turns file downloads on in the editor's Knowledge section and
publishes; a user of the GPT sees a download link on a citation and gets the file; turned off and published, new
citations have no link and the route answers 404."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from agora.gpts.models import Gpt
from agora.knowledge.models import KnowledgeFile
from tests.browser.layout import assert_fits_the_screen
from tests.chat.conftest import standin_server, upstream  # noqa: F401  (the fixtures, for these tests)
from tests.conftest import sign_up_in_chromium
from tests.knowledge.conftest import PAGES, pdf

QUESTION = "When is the generator tested?"


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_the_builder_lets_users_download_cited_files_then_stops(page, chromium, server, database, upstream, tmp_path, width):
    handbook = tmp_path / "handbook.pdf"
    handbook.write_bytes(pdf(PAGES))
    upstream.reply = "The generator is tested every Tuesday at 7 am [1]."
    page.set_viewport_size({"width": width, "height": 900})
    sign_up_in_chromium(page)
    page.goto("/gpts/new")
    page.get_by_label("Name", exact=True).fill("Lighthouse Guide")
    page.get_by_label("Conversation starters (up to 4)").first.fill(QUESTION)
    page.get_by_label("Who can use it").select_option("link")
    page.get_by_role("button", name="Save draft").click()
    knowledge = page.locator("section.knowledge")
    knowledge.get_by_label("Add a file").set_input_files(str(handbook))
    knowledge.get_by_role("button", name="Upload").click()
    expect(knowledge.locator(".knowledge-status").first).to_have_text("Ready", timeout=60_000)

    switch = knowledge.get_by_label("Let users download the files replies cite")
    expect(switch).not_to_be_checked()  # off by default
    switch.check()
    assert_fits_the_screen(page)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 1 is live.")).to_be_visible()
    expect(page.locator("section.knowledge").get_by_label("Let users download the files replies cite")).to_be_checked()
    with database.session() as session:
        gpt_id = session.scalars(select(Gpt.id).where(Gpt.name == "Lighthouse Guide")).one()
        file_id = session.scalars(select(KnowledgeFile.id).where(KnowledgeFile.gpt_id == gpt_id)).one()
    route = f"/api/gpts/{gpt_id}/files/{file_id}/download"

    reader = chromium.new_context(base_url=server.url, locale="en-US", viewport={"width": width, "height": 900}).new_page()
    reader.set_default_timeout(15_000)
    sign_up_in_chromium(reader, email="bob@example.com", name="Bob")
    reader.goto(f"/g/{gpt_id}")
    reader.get_by_role("button", name=QUESTION).click()
    reply = reader.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "complete")
    link = reply.locator(".citations li").first.get_by_role("link", name="Download handbook.pdf")
    expect(link).to_be_visible()
    with reader.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == "handbook.pdf"
    assert Path(download.path()).read_bytes() == handbook.read_bytes()
    reader.reload()  # the link is kept with the reply
    expect(reader.locator(".message.assistant").last.get_by_role("link", name="Download handbook.pdf")).to_be_visible()
    assert_fits_the_screen(reader)

    # The builder turns it off and publishes: new citations have no link, and the route answers 404.
    page.locator("section.knowledge").get_by_label("Let users download the files replies cite").uncheck()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2 is live.")).to_be_visible()
    assert reader.request.get(route).status == 404
    reader.goto(f"/g/{gpt_id}")
    reader.get_by_role("button", name=QUESTION).click()
    reply = reader.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".citations li").first).to_contain_text("[1] handbook.pdf, page 3")
    expect(reply.get_by_role("link", name="Download handbook.pdf")).to_have_count(0)
    reader.context.close()
