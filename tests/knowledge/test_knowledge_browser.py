"""The issue's "Done when", in a real Chromium: a builder uploads a PDF and a DOCX in the editor, watches them become
ready, asks the preview a question answered on page 3 and sees the citation to page 3; a user of the published GPT
gets the same citation in the chat, and after a reload. (/v1's annotations: test_replies.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from agora.gpts.models import Gpt

from tests.chat.conftest import standin_server, upstream  # noqa: F401  (the fixtures, for these tests)
from tests.conftest import sign_up_in_chromium
from tests.knowledge.conftest import PAGES, pdf, word

QUESTION = "When is the generator tested?"


@pytest.mark.browser
def test_upload_watch_ready_preview_and_chat_cite_page_3(page, chromium, server, database, upstream, tmp_path):
    handbook, policy = tmp_path / "handbook.pdf", tmp_path / "policy.docx"
    handbook.write_bytes(pdf(PAGES))
    policy.write_bytes(word(["Parking is free for staff in the north car park."]))
    upstream.reply = "The generator is tested every Tuesday at 7 am [1]."
    sign_up_in_chromium(page)
    page.goto("/gpts/new")
    page.get_by_label("Name", exact=True).fill("Lighthouse Guide")
    page.get_by_label("Conversation starters (up to 4)").first.fill(QUESTION)
    page.get_by_role("button", name="Save draft").click()

    knowledge = page.locator("section.knowledge")
    expect(knowledge.get_by_role("heading", name="Knowledge")).to_be_visible()
    for document in (handbook, policy):
        knowledge.get_by_label("Add a file").set_input_files(str(document))
        knowledge.get_by_role("button", name="Upload").click()
        expect(knowledge.locator(f'tr:has-text("{document.name}")')).to_be_visible()
    rows = knowledge.locator("tbody tr")
    expect(rows).to_have_count(2)
    for row in range(2):  # queued / reading / indexing, then ready, without a reload
        expect(rows.nth(row).locator(".knowledge-status")).to_have_text("Ready", timeout=60_000)

    knowledge.get_by_label("Test retrieval: what would the GPT read for").fill(QUESTION)
    knowledge.get_by_role("button", name="Search").click()
    expect(knowledge.locator("[data-knowledge-hits] li").first).to_contain_text("handbook.pdf, page 3")

    page.get_by_label("Message to the draft").fill(QUESTION)
    page.get_by_role("button", name="Send", exact=True).click()
    cited = page.locator("[data-preview-log] .citations li").first
    expect(cited).to_contain_text("[1] handbook.pdf, page 3")
    cited.locator("summary").click()  # the quoted passage, on click
    expect(cited.locator("blockquote")).to_contain_text("tested every Tuesday at 7 am")

    page.get_by_label("Who can use it").select_option("link")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 1 is live.")).to_be_visible()
    with database.session() as session:
        gpt_id = session.scalars(select(Gpt.id).where(Gpt.name == "Lighthouse Guide")).one()

    reader = chromium.new_context(base_url=server.url, locale="en-US").new_page()
    reader.set_default_timeout(15_000)
    sign_up_in_chromium(reader, email="bob@example.com", name="Bob")
    reader.goto(f"/g/{gpt_id}")
    reader.get_by_role("button", name=QUESTION).click()
    reply = reader.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".citations li").first).to_contain_text("[1] handbook.pdf, page 3")
    reader.reload()
    expect(reader.locator(".message.assistant").last.locator(".citations li").first).to_contain_text("[1] handbook.pdf, page 3")
    reader.context.close()
