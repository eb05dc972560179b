"""The chat pages without JavaScript: start from a GPT page, read, send, and no script injection."""

from __future__ import annotations

import re

from agora.chat.markdown import render
from tests.chat.conftest import make_gpt

INJECTION = '<script>alert("x")</script><img src=x onerror=alert(1)> [click](javascript:alert(1))'


def test_markdown_is_rendered_and_sanitized():
    html = render("# Title\n\n**bold** `code`\n\n```python\nprint('hi')\n```\n\n" + INJECTION)
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and 'class="hl-nb"' in html
    assert "<script" not in html and "<img" not in html and "javascript:" not in html.replace("javascript:alert(1))", "")
    assert 'href="javascript' not in html


def test_table_alignment_is_a_class_not_an_inline_style():
    """The pages' Content-Security-Policy allows no inline style: a reply's aligned table
    rendered with style attributes lost its alignment, with a violation each."""
    html = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert "style=" not in html
    assert '<th class="align-left">a</th>' in html and '<td class="align-center">2</td>' in html and '<td class="align-right">3</td>' in html


def test_start_from_a_gpt_page_and_chat_without_javascript(chat, upstream, database):
    gpt_id = make_gpt(database, starters=["Tell me about walruses"])
    page = chat.browser.get(f"/g/{gpt_id}").text
    assert 'action="/chat/new"' in page and "Start chat" in page
    started = chat.browser.submit("/chat/new", {"gpt_id": gpt_id, "starter": "Tell me about walruses"}, form_page=f"/g/{gpt_id}")
    assert started.status_code == 303 and started.headers["location"].endswith("?draft=Tell%20me%20about%20walruses&send=1")
    path = started.headers["location"].split("?")[0]
    empty = chat.browser.get(started.headers["location"]).text
    assert "Hello, I help with walruses." in empty and ">Tell me about walruses</textarea>" in empty
    assert 'id="regenerate-form" hidden>' in empty
    sent = chat.browser.submit(path, {"content": "Tell me about walruses"}, form_page=path)
    assert sent.status_code == 303
    page = chat.browser.get(path).text
    assert "Tell me about walruses" in page and "Hello from the stand-in." in page and 'id="regenerate-form">' in page
    assert "purple walrus" not in page


def test_an_empty_message_from_the_page_keeps_the_form(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    path = f"/c/{conversation_id}"
    refused = chat.browser.submit(path, {"content": "x" * 30000}, form_page=path)
    assert refused.status_code == 422 and "at most 20000 characters" in refused.text
    assert "x" * 30000 in refused.text  # the user's text is still in the composer


def test_neither_user_text_nor_model_output_can_inject_script(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    upstream.reply = INJECTION
    try:
        chat.send(conversation_id, INJECTION)
    finally:
        upstream.reply = "Hello from the stand-in."
    page = chat.browser.get(f"/c/{conversation_id}").text
    body = page.split('id="messages"')[1].split("</ol>")[0]
    assert "<script" not in body and "<img" not in body and 'href="javascript' not in body
    assert "&lt;script&gt;" in body  # shown as text, not dropped silently


def test_rename_share_and_delete_from_the_page(chat, upstream, database, make_browser):
    conversation_id = chat.start(make_gpt(database))
    path = f"/c/{conversation_id}"
    chat.send(conversation_id, "hello")
    assert chat.browser.submit(f"{path}/rename", {"title": "Walrus talk"}, form_page=path).status_code == 303
    assert "Walrus talk" in chat.browser.get("/c").text
    chat.browser.submit(f"{path}/share", {}, form_page=path)
    link = re.search(r'id="share-link" href="(/s/[^"]+)"', chat.browser.get(path).text).group(1)
    assert make_browser().get(link).status_code == 200
    chat.browser.submit(f"{path}/unshare", {}, form_page=path)
    assert make_browser().get(link).status_code == 404
    assert chat.browser.submit(f"{path}/delete", {}, form_page=path).headers["location"] == "/c"
    assert chat.browser.get(path).status_code == 404


def test_pages_ask_visitors_to_log_in(make_browser, upstream, database):
    visitor = make_browser()
    assert visitor.get("/c").status_code == 303 and visitor.get("/c").headers["location"].startswith("/login")
