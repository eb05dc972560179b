"""The demo catalogue: 505 real assistants, a builder per author, both languages."""

import json
import re
from datetime import date, timedelta
from importlib import resources

import pytest
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.db import utcnow
from agora.demo import catalogue
from agora.demo.activity import REVIEWER_EMAIL_DOMAIN
from agora.demo.catalogue import fit, to_entry
from agora.demo.acting import ACTING
from agora.demo.seed import CURATOR_EMAIL, LABS_EMAIL, FEATURED_PER_WEEK, FEATURED_WEEKS, feature_demo_picks, seed_demo
from agora.errors import InvalidInput
from agora.gpts.models import Gpt, GptVersion
from agora.store import featured
from agora.store.models import BuilderDomain, Category, Listing


def raw_records() -> list[dict]:
    data = resources.files("agora.demo").joinpath("data/agents.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def test_the_catalogue_and_its_attribution_ship_with_the_package():
    assert len(raw_records()) == 505 == catalogue.count()
    attribution = resources.files("agora.demo").joinpath("data/ATTRIBUTION.md").read_text()
    assert "MIT" in attribution and "LobeHub" in attribution


def test_every_entry_maps_to_a_default_category_and_fits_the_limits():
    from agora.store.categories import DEFAULT_CATEGORIES

    slugs = {c[0] for c in DEFAULT_CATEGORIES}
    for record in raw_records():
        entry = to_entry(record)  # validates every limit of GptContent
        assert entry.content.category in slugs
        assert entry.content.localized["fr"].name
        assert not entry.content.avatar.startswith("http")


def test_fit_keeps_short_text_and_cuts_long_text_at_a_word():
    assert fit("  Short title ", 60) == "Short title"
    assert fit("Line one\r\nLine two", 60) == "Line one"
    cut = fit("word " * 100, 300)
    assert len(cut) <= 300 and cut.endswith("…") and not cut.endswith(" …")


def test_seed_creates_the_store_once_and_pages_show_it(database, make_browser):
    report = seed_demo(database)
    assert report.gpts_created == 505 and report.gpts_existing == 0 and report.acting_created == len(ACTING)
    again = seed_demo(database)
    assert (again.gpts_created, again.builders_created, again.gpts_existing, again.acting_created) == (0, 0, 505, 0)
    total = 505 + len(ACTING)  # the catalogue, and the GPTs that act (agora.demo.acting)

    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Gpt).where(Gpt.visibility == "public")) == total
        assert session.scalar(select(func.count()).select_from(GptVersion)) == total
        authors = {r["author"].lower() for r in raw_records()}
        builders = session.scalar(select(func.count()).select_from(User).where(User.password_hash.is_(None), User.email != CURATOR_EMAIL,
                                                                                User.email != LABS_EMAIL,
                                                                                User.email.not_like(f"%@{REVIEWER_EMAIL_DOMAIN}")))
        assert builders == len(authors)
        accountant = session.scalar(select(Gpt).where(Gpt.source == "lobehub:accounting"))
        assert accountant is not None and accountant.name == "Accounting Expert Assistant"
        version = session.scalar(select(GptVersion.content).where(GptVersion.gpt_id == accountant.id))
        assert version["localized"]["fr"]["name"] == "Assistant Expert en Comptabilité"
        assert len(version["starters"]) >= 1 and version["instructions"]
        per_category = dict(
            session.execute(select(Category.slug, func.count(Gpt.id)).join(Gpt, Gpt.category_id == Category.id).group_by(Category.slug)).all()
        )
        assert sum(per_category.values()) == total and per_category["programming"] == 108

    english = make_browser(headers={"Accept-Language": "en"})
    home = english.get("/").text
    assert f"{total} assistants made by builders like you." in home
    assert re.findall(r'<h2 id="cat-[^"]+">([^<]+)</h2>', home)[:2] == ["Top in Writing", "Top in Productivity"]
    programming = english.get("/store/programming")
    assert programming.status_code == 200 and "108 GPTs" in programming.text
    seen, page = [], programming.text
    while True:  # follow the "More" cursor to the end: every GPT once
        seen += re.findall(r'<a href="/g/(g-\w+)">', page)
        more = re.search(r'rel="next" href="([^"]+)"', page)
        if not more:
            break
        page = english.get("/store/programming" + more.group(1).replace("&amp;", "&")).text
    assert len(seen) == len(set(seen)) == 108

    french = make_browser(headers={"Accept-Language": "fr"})
    home_fr = french.get("/").text
    assert f"{total} assistants créés par des créateurs comme vous." in home_fr and ">Top Programmation</h2>" in home_fr
    gpt_page = french.get(f"/g/{accountant.id}").text
    assert "Assistant Expert en Comptabilité" in gpt_page and "Ou commencez par :" in gpt_page  # its starters, in French
    assert english.get("/store/programmation").status_code == 200  # French slugs work too

    # Search: either language, accents and case ignored.
    assert "Accounting Expert Assistant" in english.get("/search", params={"q": "accounting"}).text
    assert "Assistant Expert en Comptabilité" in french.get("/search", params={"q": "comptabilite"}).text
    assert 'class="card"' in english.get("/search", params={"q": "RÉSUMÉ"}).text
    assert "No GPT matches" in english.get("/search", params={"q": "zzzqqqxxx"}).text


def test_the_demo_store_front_shows_featured_picks_for_weeks_ahead_and_keeps_admins_choices(database, make_browser):
    seed_demo(database)
    front = make_browser(headers={"Accept-Language": "en"}).get("/").text
    shelf = front.split('id="featured"', 1)[1].split("</section>", 1)[0]
    assert len(re.findall(r'href="/g/(g-\w+)"', shelf)) == FEATURED_PER_WEEK  # the hero and the other picks' cards
    today = date.today()
    with database.session() as session:
        curator = accounts.user_by_email(session, CURATOR_EMAIL)
        assert curator.is_admin and curator.password_hash is None  # nobody can log in as the curator
        weeks = [featured.current_week(today + timedelta(weeks=n)) for n in range(FEATURED_WEEKS)]
        assert all(len(featured.picks(session, y, w)) == FEATURED_PER_WEEK for y, w in weeks)
        assert len({featured.picks(session, y, w)[0].gpt_id for y, w in weeks}) > 1  # a different pick each week
        assert feature_demo_picks(session, today) == 0  # seeding again changes nothing

        year, week = featured.current_week(today + timedelta(weeks=FEATURED_WEEKS))  # not picked yet
        chosen, builder_id = session.execute(select(Listing.gpt_id, Listing.builder_id).order_by(Listing.gpt_id)).first()
        with pytest.raises(InvalidInput, match="has not verified a website domain"):  # the demo vouches for its own picks only
            featured.pick(session, curator, gpt_id=chosen, year=year, week=week)
        session.add(BuilderDomain(user_id=builder_id, domain="verified.example.org", token="t" * 32, verified_at=utcnow()))
        featured.pick(session, curator, gpt_id=chosen, year=year, week=week)  # as an admin would, once its builder is verified
        assert feature_demo_picks(session, today + timedelta(weeks=1)) == 0  # the admin's week is kept as it is
        assert [listing.gpt_id for listing in featured.picks(session, year, week)] == [chosen]
