"""Two languages: every UI string is translated, chosen from the browser and remembered."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from agora.i18n import negotiate

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "src/agora/locales/fr/LC_MESSAGES/messages.po"


def extracted(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_", "-k", "gettext",
         "-k", "ngettext:1,2", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_every_ui_string_has_a_french_translation(tmp_path):
    with PO.open("rb") as f:
        catalog = read_po(f, locale="fr")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(extracted(tmp_path) - translated)
    assert not missing, f"add French translations to {PO.name} for: {missing}"


def test_translations_keep_their_placeholders():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="fr")
    for message in catalog:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            assert set(re.findall(r"%\(\w+\)\w", source)) == set(re.findall(r"%\(\w+\)\w", target)), source


def test_accept_language_negotiation():
    assert negotiate("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert negotiate("en-GB,en;q=0.9") == "en"
    assert negotiate("de-DE,fr;q=0.5") == "fr"
    assert negotiate("de-DE") == "en"
    assert negotiate("de-DE", default="fr") == "fr"
    assert negotiate("fr;q=0, en") == "en"
    assert negotiate("garbage;;;q=x,") == "en"
    assert negotiate(None) == "en"


def test_the_browser_language_picks_the_interface(make_browser):
    french = make_browser(headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    page = french.get("/signup").text
    assert '<html lang="fr">' in page and "Créez votre compte Agora" in page
    english = make_browser(headers={"Accept-Language": "en-US"})
    assert "Create your Agora account" in english.get("/signup").text


def test_a_visitors_choice_is_remembered_in_a_cookie(make_browser):
    visitor = make_browser(headers={"Accept-Language": "en"})
    switched = visitor.submit("/language", {"language": "fr", "next": "/signup"}, form_page="/signup")
    assert switched.status_code == 303 and switched.headers["location"] == "/signup"
    assert "Créez votre compte Agora" in visitor.get("/signup").text


def test_a_users_choice_follows_them_to_another_browser(browser, make_browser):
    browser.signup()
    browser.submit("/language", {"language": "fr", "next": "/account"}, form_page="/account")
    assert "Votre compte" in browser.get("/account").text
    elsewhere = make_browser(headers={"Accept-Language": "en"})
    elsewhere.login()
    assert "Votre compte" in elsewhere.get("/account").text


def test_errors_are_translated(make_browser):
    french = make_browser(headers={"Accept-Language": "fr"})
    response = french.signup(password="court")
    assert response.status_code == 422 and "au moins 10 caractères" in response.text


def test_unknown_language_is_ignored(make_browser):
    visitor = make_browser(headers={"Accept-Language": "en"})
    visitor.submit("/language", {"language": "xx"}, form_page="/")
    assert '<html lang="en">' in visitor.get("/").text
