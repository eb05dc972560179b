"""File fields refuse, in the browser, a file larger than the server would accept.

Sent, such a file would make the server answer 413 without reading the form (see
agora.web.body_limit), and the page with what was typed in it would be replaced.
"""

import pytest
from playwright.sync_api import expect

from tests.gpts.test_builder_browser import sign_up

pytestmark = pytest.mark.browser

MB = 1024 * 1024


def test_a_picture_too_large_is_dropped_with_the_reason_and_the_form_kept(page):
    sign_up(page)
    page.goto("/gpts/new")
    page.get_by_label("Name", exact=True).fill("Portrait")
    page.locator("#avatar_file").set_input_files({"name": "big.png", "mimeType": "image/png", "buffer": b"0" * (3 * MB)})
    expect(page.get_by_role("alert")).to_contain_text("larger than 2 MB")
    assert page.locator("#avatar_file").evaluate("input => input.files.length") == 0
    expect(page.get_by_label("Name", exact=True)).to_have_value("Portrait")
    page.locator("#avatar_file").set_input_files({"name": "small.png", "mimeType": "image/png", "buffer": b"0" * 1024})
    expect(page.get_by_role("alert")).to_be_hidden()


def test_an_import_too_large_is_refused_before_it_is_sent(page):
    sign_up(page)
    page.goto("/gpts/mine")
    page.locator("#file").set_input_files({"name": "big.json", "mimeType": "application/json", "buffer": b" " * (17 * MB)})
    expect(page.get_by_role("alert")).to_contain_text("larger than 16 MB")
    assert page.locator("#file").evaluate("input => input.files.length") == 0
