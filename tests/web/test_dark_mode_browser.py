"""In real Chromium, light and dark: the pages follow the system's colour scheme, and every text on
them reads at 4.5:1 or more, code highlighting included (issue 20 item 6)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.contrast import assert_readable
from tests.chat.conftest import make_gpt, standin_server, upstream  # noqa: F401 (fixtures)
from tests.conftest import sign_up_in_chromium

pytestmark = pytest.mark.browser

CODE_REPLY = "Some code:\n\n```python\n# a comment\ndef walrus(n):\n    return 'tusks' * 2 + str(n)\n```\n\nSee [the docs](https://example.com) and `inline`."


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_pages_follow_the_system_scheme_and_read_at_4_5_to_1(chromium, server, upstream, database, scheme, width):
    context = chromium.new_context(base_url=server.url, locale="en-US", color_scheme=scheme, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        gpt_id = make_gpt(database, name="Walrus Helper")
        page.goto("/")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(18, 19, 22)" if scheme == "dark" else "rgb(255, 255, 255)")
        for path in ("/", f"/g/{gpt_id}", "/login"):
            page.goto(path)
            assert_readable(page)

        sign_up_in_chromium(page)
        page.goto(f"/g/{gpt_id}")
        page.get_by_role("button", name="Start chat").click()
        expect(page).to_have_url(re.compile(r"/c/[0-9a-f]+$"))
        upstream.reply = CODE_REPLY
        page.get_by_label("Message").fill("Show me")
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
        page.reload()
        expect(page.locator(".code-language")).to_have_text("python")
        assert page.locator(".hl-k, .hl-s1, .hl-c1, .hl-nb, .hl-mi").count() >= 3  # highlighted code is checked too
        assert_readable(page)
        if width < 800:
            page.get_by_role("button", name="Conversations", exact=True).click()
            expect(page.locator("#chat-sidebar")).to_be_visible()
            assert_readable(page)
        for path in ("/c", "/gpts/new"):
            page.goto(path)
            assert_readable(page)
    finally:
        upstream.reply = "Hello from the stand-in."
        context.close()
