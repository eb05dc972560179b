"""Translations: gettext catalogues in locales/, chosen per request.

The language of the request being served lives in a context variable, so services
and templates translate with the same ``gettext`` without passing a locale around.
Catalogues are compiled from the .po files in memory at first use: no build step.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
LOCALES = Path(__file__).parent / "locales"

current_language: ContextVar[str] = ContextVar("current_language", default="en")


@cache
def translations(language: str) -> NullTranslations:
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()  # English is the source language
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(message: str, **params: object) -> str:
    text = translations(current_language.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def negotiate(accept_language: str | None, default: str = "en") -> str:
    """The best of our languages for an Accept-Language header."""
    if not accept_language:
        return default
    preferred = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag and tag != "*":
            preferred.append((weight, tag.replace("-", "_")))
    ordered = [tag for weight, tag in sorted(preferred, key=lambda p: -p[0]) if weight > 0]
    try:
        found = Locale.negotiate(ordered, list(LANGUAGES))
    except (UnknownLocaleError, ValueError):
        found = None
    return str(found.language) if found else default


def normalize(language: str | None) -> str | None:
    return language if language in LANGUAGES else None
