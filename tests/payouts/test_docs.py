"""docs/payouts.md states the pool's defaults: they are the settings' defaults."""

from __future__ import annotations

import re
from pathlib import Path

from agora.config import Settings

DOC = (Path(__file__).parents[2] / "docs" / "payouts.md").read_text()


def test_the_documented_defaults_are_the_settings():
    fields = Settings.model_fields
    stated = {
        "pool_share_percent": r"AGORA_POOL_SHARE_PERCENT` / 100 ⌋, in millis \(thousandths\s+of a cent\)\. Default: \*\*(\d+) %\*\*",
        "pool_user_days_cap": r"AGORA_POOL_USER_DAYS_CAP` days \(default \*\*(\d+)\*\*\)",
        "pool_min_users": r"AGORA_POOL_MIN_USERS` distinct users \(default \*\*(\d+)\*\*\)",
        "pool_min_units": r"AGORA_POOL_MIN_UNITS` units \(default \*\*(\d+)\*\*\)",
    }
    for field, pattern in stated.items():
        found = re.search(pattern, DOC)
        assert found, f"docs/payouts.md no longer states {field}'s default as the test expects"
        assert int(found.group(1)) == fields[field].default, field
    assert "(default **true**)" in DOC and fields["pool_verified_builders_only"].default is True
