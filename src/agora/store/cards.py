"""A store card's markup (avatar, name, description, builder, rating, chats), built in Python.

Every listing page shows cards (a GPT page 12, the store front 24, a category page up to
48), and in Jinja a card was a macro calling two more macros and five translations, about
40 us each: on the GPT page half the template's time (docs/benchmarks.md, "GPT page").
Built here it is a few string formats. The markup is this module's alone: the templates'
`card` and `shelf` macros call `store_card`. Escaping is markupsafe's, as in the templates:
listing text is escaped, translated strings are trusted as Jinja's i18n trusts them.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from markupsafe import Markup, escape

from agora import i18n
from agora.store.ranking import conversation_bucket


def store_card(listing, lang: str, verified: Container[int], rank: int | None = None) -> Markup:
    """One listing's card, in the request's language (its English text when it has no French);
    `rank`: its place in a ranked list, shown before the avatar."""
    # Plain f-strings over escaped values: Markup.format is pure Python and as slow as Jinja.
    e = escape
    place = f'<span class="rank">{rank}</span>\n    ' if rank is not None else ""
    return Markup(
        f'<li class="card">\n  <a href="/g/{e(listing.gpt_id)}">\n'
        f'    {place}<span class="avatar" aria-hidden="true">{e(listing.avatar)}</span>\n    <span class="card-body">\n'
        f'      <strong class="card-name">{e(listing.text("name", lang))}</strong>\n'
        f'      <span class="card-description">{e(listing.text("description", lang))}</span>\n'
        f"{_meta(listing, verified)}\n    </span>\n  </a>\n</li>"
    )


def store_hero(listing, lang: str, verified: Container[int]) -> Markup:
    """The store front's hero: the week's first featured pick, large, with a call to chat."""
    e = escape
    t = i18n.translations(i18n.current_language.get())
    return Markup(
        f'<a class="hero-card" href="/g/{e(listing.gpt_id)}">\n'
        f'  <span class="avatar large" aria-hidden="true">{e(listing.avatar)}</span>\n  <span class="card-body">\n'
        f'    <strong class="hero-name">{e(listing.text("name", lang))}</strong>\n'
        f'    <span class="hero-description">{e(listing.text("description", lang))}</span>\n'
        f'{_meta(listing, verified)}\n'
        f'    <span class="button primary hero-cta">{t.gettext("Start chat")}</span>\n  </span>\n</a>'
    )


def _meta(listing, verified: Container[int]) -> str:
    """Who built it, its rating and how much it is used: the line under a card's description."""
    t = i18n.translations(i18n.current_language.get())
    mark = ""
    if listing.builder_id in verified:
        label = t.gettext("Verified builder")
        mark = f' <span class="verified" title="{label}">✓<span class="visually-hidden">{label}</span></span>'
    rating = ""
    if count := listing.rating_count:
        title = t.ngettext("%(num)d rating", "%(num)d ratings", count) % {"num": count}
        rating = f'<span class="rating" title="{title}">★ {listing.rating_sum / count:.1f} <span class="muted">({count})</span></span>'
    bucket = conversation_bucket(listing.conversations)
    chats = f'<span class="muted">{t.gettext("%(bucket)s chats") % {"bucket": bucket}}</span>' if bucket else ""
    builder = t.gettext("By %(name)s") % {"name": escape(listing.builder_name)}
    return (f'      <span class="card-meta">\n        <span class="card-builder">{builder}{mark}</span>\n'
            f"        {rating}\n        {chats}\n      </span>")


def store_shelf(listings: Iterable, lang: str, verified: Container[int]) -> Markup:
    return Markup('<ul class="cards">' + "".join(store_card(listing, lang, verified) for listing in listings) + "</ul>")


def store_ranked(listings: Iterable, lang: str, verified: Container[int], start: int = 1) -> Markup:
    """A numbered Top list: an ordered list (screen readers say each place) whose cards show it."""
    cards = "".join(store_card(listing, lang, verified, rank) for rank, listing in enumerate(listings, start))
    return Markup(f'<ol class="cards ranked" start="{int(start)}">{cards}</ol>')
