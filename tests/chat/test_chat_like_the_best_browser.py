"""In real Chromium at 1280 and 390 px, the chat as the best ones work (issue 20 item 2): the window's
full height with the composer always at hand and no footer, a sidebar (a drawer on a phone) with new
chat, search, date groups, rename and delete in place, the title of a new conversation at once, a GPT
switcher, code blocks with their language and a Copy button, Continue for a reply the token limit
cut, keyboard shortcuts, a shared link's Copy button, and the editor's preview rendered as the chat
renders it. The model is the stand-in server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from agora.chat.models import Conversation, Message
from agora.db import utcnow
from tests.browser.layout import assert_fits_the_screen
from tests.chat.conftest import make_gpt
from tests.conftest import sign_up_in_chromium

pytestmark = pytest.mark.browser

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
CODE_REPLY = "Here it is:\n\n```python\nprint('hi')\n```\n\nAnd **done**."


@pytest.fixture
def phone_or_desktop(chromium, server, request):
    """A page of the given width whose scripts may use the clipboard, as a person's browser lets them after a click."""
    context = chromium.new_context(base_url=server.url, locale="en-US", viewport={"width": request.param, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def open_sidebar(page) -> None:
    """On a phone the conversations are a drawer behind a button; on a desktop they are always there."""
    toggle = page.get_by_role("button", name="Conversations", exact=True)
    if page.viewport_size["width"] < 800:
        expect(page.locator("#chat-sidebar")).not_to_be_visible()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    else:
        expect(toggle).to_be_hidden()
    expect(page.locator("#chat-sidebar")).to_be_visible()


def start_chat(page, gpt_id: str) -> None:
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Start chat").click()
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f]+$"))
    page.wait_for_load_state()  # the page's scripts have run: Enter sends (without them a textarea takes it as a new line)


both = pytest.mark.parametrize("phone_or_desktop", [1280, 390], ids=["desktop", "phone"], indirect=True)


@both
def test_full_height_sticky_composer_no_footer_and_the_first_message_names_the_conversation(phone_or_desktop, upstream, database):
    page = phone_or_desktop
    gpt_id = make_gpt(database, name="Walrus Helper")
    sign_up_in_chromium(page)
    start_chat(page, gpt_id)
    height = page.viewport_size["height"]
    expect(page.locator(".site-footer")).to_have_count(0)
    composer = page.locator("#composer")
    box = composer.bounding_box()
    assert abs(box["y"] + box["height"] - height) <= 2, f"an empty chat's composer sits at the window's bottom: {box}"

    open_sidebar(page)
    current = page.locator(".chat-item a[aria-current=page]")
    expect(current).to_have_text("New conversation")
    if page.viewport_size["width"] < 800:
        page.keyboard.press("Escape")  # closes the drawer
        expect(page.locator("#chat-sidebar")).not_to_be_visible()

    # Enter sends; Shift+Enter starts a new line instead.
    box_text = page.get_by_label("Message")
    box_text.fill("Tell me about walruses")
    box_text.press("Shift+Enter")
    box_text.press_sequentially("in two lines")
    assert box_text.input_value() == "Tell me about walruses\nin two lines"
    box_text.press("Enter")
    expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
    # The sidebar names the conversation after its first message, without a reload.
    expect(current).to_have_text("Tell me about walruses in two lines")

    for n in range(6):  # a conversation longer than the window: the composer stays in view at the top of it
        upstream.next("ok")
        box_text.fill(f"Question number {n} about walruses and their tusks, long enough to wrap on a phone")
        box_text.press("Enter")
        expect(page.locator(".message.assistant")).to_have_count(n + 2)
        expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
    assert page.evaluate("document.documentElement.scrollHeight") > height
    page.evaluate("window.scrollTo(0, 0)")
    box = composer.bounding_box()
    assert abs(box["y"] + box["height"] - height) <= 2, f"the composer is sticky at the bottom: {box}"
    assert_fits_the_screen(page)


@both
def test_sidebar_new_chat_search_date_groups_rename_and_delete(phone_or_desktop, upstream, database):
    page = phone_or_desktop
    gpt_id = make_gpt(database, name="Walrus Helper")
    sign_up_in_chromium(page)
    ages = {"walrus today": 0, "walrus yesterday": 1, "seal last week": 4, "seal last month": 20, "narwhal long ago": 80}
    for title in ages:
        start_chat(page, gpt_id)
        upstream.next("ok")
        page.get_by_label("Message").fill(title)
        page.get_by_label("Message").press("Enter")
        expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
    with database.session() as session:
        for conversation in session.query(Conversation):
            conversation.updated_at = utcnow() - timedelta(days=ages[conversation.title])
    old = (utcnow() - timedelta(days=80)).strftime("%B %Y")

    page.reload()
    open_sidebar(page)
    labels = page.locator(".chat-group-label")
    expect(labels).to_have_text(["Today", "Yesterday", "Previous 7 days", "Previous 30 days", old])
    groups = page.locator(".chat-group")
    expect(groups.nth(0).locator(".chat-item > a")).to_have_text(["walrus today"])
    expect(groups.nth(4).locator(".chat-item > a")).to_have_text(["narwhal long ago"])

    # Rename in place: no reload, and it stays.
    found = page.locator(".chat-item", has_text="seal last week").get_attribute("data-id")
    item = page.locator(f'.chat-item[data-id="{found}"]')
    item.locator("summary").click()
    item.get_by_label("New title").fill("Seals, renamed")
    item.get_by_role("button", name="Rename").click()
    expect(item.locator(":scope > a")).to_have_text("Seals, renamed")
    with database.session() as session:
        assert session.query(Conversation).filter_by(title="Seals, renamed").count() == 1

    # Delete asks first; Cancel keeps it, Delete removes it (and its group, now empty).
    item = page.locator(".chat-item", has_text="seal last month")
    item.locator("summary").click()
    item.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete “seal last month” and all its messages for good?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(item).to_be_visible()
    item.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete the conversation").click()
    expect(item).to_have_count(0)
    expect(labels).to_have_text(["Today", "Yesterday", "Previous 7 days", old])
    with database.session() as session:
        assert session.query(Conversation).filter_by(title="seal last month").count() == 0

    # Search finds by title and by what was said.
    page.get_by_placeholder("Search conversations").fill("narwhal")
    page.get_by_placeholder("Search conversations").press("Enter")
    expect(page).to_have_url(re.compile(r"/c\?q=narwhal$"))
    expect(page.locator(".chat-item > a")).to_have_text(["narwhal long ago"])
    assert_fits_the_screen(page)

    # New chat: the current GPT's new-chat page, which creates nothing until the first message.
    page.goto("/c")
    page.locator(".chat-item > a", has_text="walrus today").click()
    open_sidebar(page)
    page.get_by_role("link", name="New chat").click()
    expect(page).to_have_url(re.compile(rf"/chat/new\?gpt_id={gpt_id}$"))
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Walrus Helper")).to_be_visible()
    with database.session() as session:
        assert session.query(Conversation).count() == 4
    page.get_by_label("Message").fill("A fresh start")
    page.get_by_label("Message").press("Enter")  # Enter sends here too
    expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
    assert_fits_the_screen(page)


@both
def test_gpt_switcher_opens_a_new_chat_with_another_gpt(phone_or_desktop, upstream, database):
    page = phone_or_desktop
    walrus = make_gpt(database, name="Walrus Helper")
    penguin = make_gpt(database, name="Penguin Pal")
    sign_up_in_chromium(page)
    start_chat(page, penguin)
    start_chat(page, walrus)
    page.get_by_text("Switch GPT").click()
    menu = page.locator(".switcher-menu")
    expect(menu.get_by_role("link")).to_have_text([re.compile("Penguin Pal"), "Explore GPTs"])  # not the current one
    menu.get_by_role("link", name="Penguin Pal").click()
    expect(page).to_have_url(re.compile(rf"/chat/new\?gpt_id={penguin}$"))
    expect(page.get_by_role("heading", name="Penguin Pal")).to_be_visible()
    assert_fits_the_screen(page)


@both
def test_code_blocks_show_their_language_and_copy_and_a_shared_link_copies(phone_or_desktop, upstream, database):
    page = phone_or_desktop
    gpt_id = make_gpt(database, name="Code Walrus")
    sign_up_in_chromium(page)
    start_chat(page, gpt_id)
    upstream.reply = CODE_REPLY
    try:
        page.get_by_label("Message").fill("Show me Python")
        page.get_by_label("Message").press("Enter")
        reply = page.locator(".message.assistant").last
        expect(reply).to_have_attribute("data-status", "complete")
        for _ in range(2):  # as streamed, then as stored (after a reload)
            expect(reply.locator(".code-language")).to_have_text("python")
            reply.get_by_role("button", name="Copy code").click()
            expect(reply.get_by_role("button", name="Copied")).to_be_visible()
            assert page.evaluate("navigator.clipboard.readText()") == "print('hi')\n"
            assert_fits_the_screen(page)
            page.reload()
    finally:
        upstream.reply = "Hello from the stand-in."

    page.get_by_text("Conversation options").click()
    page.get_by_role("button", name="Share a read-only link").click()
    page.get_by_text("Conversation options").click()
    link = page.get_by_label("Shared link").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/s/[\w-]+", link), link
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.goto(link)  # the shared page's code blocks have the same bar
    expect(page.locator(".code-language")).to_have_text("python")
    expect(page.get_by_role("button", name="Copy code")).to_be_visible()


@both
def test_continue_goes_on_with_a_reply_the_token_limit_cut(phone_or_desktop, upstream, database, server):
    page = phone_or_desktop
    server.app.state.settings = server.app.state.settings.model_copy(update={"chat_max_reply_tokens": 3})
    upstream.reply = "one two three four five six seven"
    try:
        gpt_id = make_gpt(database, name="Wordy Walrus")
        sign_up_in_chromium(page)
        start_chat(page, gpt_id)
        page.get_by_label("Message").fill("Count for me")
        page.get_by_label("Message").press("Enter")
        reply = page.locator(".message.assistant").last
        expect(reply).to_have_attribute("data-status", "complete")
        expect(reply.locator(".message-body")).to_have_text("one two three")
        expect(reply).to_contain_text("The reply reached the length limit.")
        expect(page.get_by_role("button", name="Regenerate the last reply")).to_be_visible()
        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".message.assistant")).to_have_count(1)  # the same reply goes on
        expect(reply.locator(".message-body")).to_have_text("one two threeone two three")
        sent = upstream.requests[-1]["messages"]
        assert sent[-2] == {"role": "assistant", "content": "one two three"}
        assert sent[-1]["role"] == "user" and "Continue your last reply" in sent[-1]["content"]
        expect(page.get_by_role("button", name="Continue")).to_be_visible()  # cut again: it may go on again

        upstream.reply = "and the end."
        page.get_by_role("button", name="Continue").click()
        expect(reply.locator(".message-body")).to_have_text("one two threeone two threeand the end.")
        expect(page.get_by_role("button", name="Continue")).to_be_hidden()
        expect(reply).not_to_contain_text("The reply reached the length limit.")
        assert upstream.requests[-1]["messages"][-2]["content"] == "one two threeone two three"  # the model sees one reply

        page.reload()  # stored as three rows, shown as one reply
        expect(page.locator(".message.assistant")).to_have_count(1)
        expect(page.locator(".message.assistant .message-body")).to_have_text("one two threeone two threeand the end.")
        expect(page.get_by_role("button", name="Continue")).to_be_hidden()
        with database.session() as session:
            rows = session.query(Message).filter_by(role="assistant").order_by(Message.id).all()
            assert [(m.content, m.finish_reason) for m in rows] == [("one two three", "length"), ("one two three", "length"), ("and the end.", "stop")]

        page.get_by_role("button", name="Regenerate the last reply").click()  # replaces the whole reply, continuations too
        expect(page.locator(".message.assistant")).to_have_count(1)
        expect(page.locator(".message.assistant .message-body")).to_have_text("and the end.")
        page.reload()
        expect(page.locator(".message.assistant")).to_have_count(1)
        assert_fits_the_screen(page)
    finally:
        upstream.reply = "Hello from the stand-in."


@both
def test_escape_stops_the_reply_being_written(phone_or_desktop, upstream, database):
    page = phone_or_desktop
    gpt_id = make_gpt(database, name="Walrus Helper")
    upstream.slow_gap = 0.05
    sign_up_in_chromium(page)
    start_chat(page, gpt_id)
    upstream.next("slow")
    page.get_by_label("Message").fill("Talk for a long time")
    page.get_by_label("Message").press("Enter")
    reply = page.locator(".message.assistant").last
    expect(reply).to_contain_text("Hello from the stand-in.Hello")
    page.keyboard.press("Escape")
    expect(reply).to_have_attribute("data-status", "stopped")
    expect(page.get_by_role("status")).to_have_text("Stopped before the end.")


@both
def test_the_editor_preview_renders_markdown_as_the_chat_does(phone_or_desktop, upstream, database):
    page = phone_or_desktop
    sign_up_in_chromium(page)
    page.goto("/gpts/new")
    page.get_by_label("Name", exact=True).fill("Markdown Walrus")
    page.get_by_role("button", name="Save draft").click()
    upstream.reply = CODE_REPLY
    try:
        page.get_by_label("Message to the draft").fill("Show me Python")
        page.get_by_label("Message to the draft").press("Enter")
        reply = page.locator(".preview-messages .message.assistant")
        expect(reply).to_have_attribute("data-status", "complete")
        expect(reply.locator("strong")).to_have_text("done")
        expect(reply.locator(".code-language")).to_have_text("python")
        expect(reply.locator("pre code")).to_have_text("print('hi')")
        page.get_by_label("Message to the draft").fill("Again")
        page.get_by_label("Message to the draft").press("Enter")
        expect(page.locator(".preview-messages .message.assistant")).to_have_count(2)
        expect(page.locator(".preview-messages .message.assistant").last).to_have_attribute("data-status", "complete")
        assert upstream.requests[-1]["messages"][-2] == {"role": "assistant", "content": CODE_REPLY}  # the model's words, not their HTML
        assert_fits_the_screen(page)
    finally:
        upstream.reply = "Hello from the stand-in."
