"""The sidebar's date groups: the person's days (their time zone), newest first, then one group per month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from agora.chat.sidebar import group_by_date, timezone_named
from agora.i18n import current_language

NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)  # 7 December, 03:30 UTC: still 6 December in New York


def conversations(*ages: timedelta) -> list:
    return [SimpleNamespace(id=str(n), updated_at=NOW - age) for n, age in enumerate(ages)]


def labels(groups) -> list[tuple[str, list[str]]]:
    return [(group.label, [c.id for c in group.conversations]) for group in groups]


def test_groups_by_the_persons_days_then_by_month():
    found = conversations(timedelta(minutes=5), timedelta(hours=20), timedelta(days=2), timedelta(days=7), timedelta(days=8),
                          timedelta(days=30), timedelta(days=40), timedelta(days=41), timedelta(days=400))
    assert labels(group_by_date(found, now=NOW, zone=ZoneInfo("UTC"), language="en")) == [
        ("Today", ["0"]), ("Yesterday", ["1"]), ("Previous 7 days", ["2", "3"]), ("Previous 30 days", ["4", "5"]),
        ("October 2026", ["6", "7"]), ("November 2025", ["8"]),
    ]


def test_today_is_the_persons_today():
    found = conversations(timedelta(minutes=5), timedelta(hours=5))  # 03:25 UTC and 22:30 UTC the day before
    assert labels(group_by_date(found, now=NOW, zone=ZoneInfo("UTC"), language="en")) == [("Today", ["0"]), ("Yesterday", ["1"])]
    assert labels(group_by_date(found, now=NOW, zone=ZoneInfo("America/New_York"), language="en")) == [("Today", ["0", "1"])]


def test_labels_in_french():
    token = current_language.set("fr")
    try:
        found = conversations(timedelta(0), timedelta(days=1), timedelta(days=50))
        assert [g.label for g in group_by_date(found, now=NOW, zone=ZoneInfo("UTC"), language="fr")] == ["Aujourd’hui", "Hier", "Octobre 2026"]
    finally:
        current_language.reset(token)


def test_a_time_zone_cookie_is_input_like_any_other():
    assert timezone_named("Europe/Paris") == ZoneInfo("Europe/Paris")
    for bad in (None, "", "Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "x" * 200, "Europe/Paris\x00"):
        assert timezone_named(bad) == ZoneInfo("UTC"), bad
