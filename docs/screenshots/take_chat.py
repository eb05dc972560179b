"""Retake the chat and editor screenshots (docs/screenshots/chat-*.png, editor-*.png) at 1280 and 390 px.

Run from the repository: `.venv/bin/python docs/screenshots/take_chat.py`. A throwaway Agora on
SQLite, the demo store, and the tests' stand-in model server answering with a Markdown reply;
Debian's Chromium (AGORA_TEST_CHROMIUM or /usr/bin/chromium) takes the pictures, light scheme.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agora import migrate  # noqa: E402
from agora.db import Database  # noqa: E402
from agora.demo.seed import seed_demo  # noqa: E402
from agora.providers import registry  # noqa: E402
from tests.conftest import CHROMIUM_ARGS, LiveServer, make_settings, sign_up_in_chromium  # noqa: E402
from tests.providers.standin import StandIn  # noqa: E402

OUT = Path(__file__).resolve().parent
REPLY = (
    "Here is a small function that converts **Celsius to Fahrenheit**:\n\n"
    "```python\ndef to_fahrenheit(celsius: float) -> float:\n    # multiply by 9/5, then add 32\n    return celsius * 9 / 5 + 32\n```\n\n"
    "| °C | °F |\n|--:|--:|\n| 0 | 32 |\n| 37 | 98.6 |\n| 100 | 212 |\n\nCall `to_fahrenheit(21)` to get 69.8."
)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="agora-screenshots-"))
    settings = make_settings(home, f"sqlite:///{home / 'agora.db'}")
    database = Database(settings.resolved_database_url())
    migrate.upgrade(database)
    seed_demo(database)
    database.dispose()
    server = LiveServer(settings).start()
    model = StandIn(reply=REPLY).start_in_thread()
    chat_settings = server.settings.model_copy(update={"chat_provider": "openai", "openai_base_url": model.base_url, "openai_models": "standin"})
    server.app.state.settings = chat_settings
    server.app.state.chat_provider = registry.create("openai", chat_settings)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=os.environ.get("AGORA_TEST_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
            page = chromium.new_page(base_url=server.url, locale="en-US", viewport={"width": 1280, "height": 800}, color_scheme="light")
            sign_up_in_chromium(page, email="ada@example.com", name="Ada")
            page.goto("/search?q=python")
            page.locator(".card a").first.click()
            page.get_by_role("button", name="Start chat").click()
            page.wait_for_load_state()
            for question in ("How do I convert Celsius to Fahrenheit in Python?", "Make it round to one decimal"):
                page.get_by_label("Message").fill(question)
                page.get_by_label("Message").press("Enter")
                expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
            for width, name in ((1280, "desktop"), (390, "phone")):
                page.set_viewport_size({"width": width, "height": 800 if width > 400 else 844})
                page.reload()
                page.screenshot(path=OUT / f"chat-{name}.png")
                page.goto("/gpts/new")
                page.get_by_label("Name", exact=True).fill("Unit Converter")
                page.locator("#description").fill("Converts units and shows the code to do it")
                page.get_by_role("button", name="Save draft").click()
                page.get_by_label("Message to the draft").fill("Celsius to Fahrenheit?")
                page.get_by_label("Message to the draft").press("Enter")
                expect(page.locator(".preview-messages .message.assistant")).to_have_attribute("data-status", "complete")
                page.screenshot(path=OUT / f"editor-{name}.png", full_page=width < 400)
                page.goto("/c")
                page.locator(".chat-item > a").first.click()
            chromium.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
