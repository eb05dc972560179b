"""A person in a real browser signs up, switches to French and sees the French interface."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_sign_up_then_switch_to_french(page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your Agora account")).to_be_visible()

    page.get_by_label("Email").fill("marie@example.com")
    page.get_by_label("Display name").fill("Marie Curie")
    page.get_by_label("Password").fill("polonium and radium")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("link", name="Marie Curie")).to_be_visible()

    page.get_by_label("Language").select_option("fr")  # applies at once (agora.js)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Se déconnecter")).to_be_visible()
    expect(page.get_by_role("button", name="Rechercher")).to_be_visible()

    page.get_by_role("link", name="Marie Curie").click()
    expect(page.get_by_role("heading", name="Votre compte")).to_be_visible()
    expect(page.get_by_text("marie@example.com")).to_be_visible()


def test_form_errors_are_announced_next_to_their_field(page):
    page.goto("/signup")
    page.get_by_label("Email").fill("marie@example.com")
    page.get_by_label("Display name").fill("Marie")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("at least 10 characters")
    expect(page.get_by_label("Email")).to_have_value("marie@example.com")  # nothing typed is lost


def test_keyboard_users_reach_the_content_first(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Agora", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Search the store")).to_be_focused()

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # follow the skip link
    expect(page.locator("main")).to_be_focused()
