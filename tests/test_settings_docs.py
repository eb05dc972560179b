"""Every setting is documented: a new field without a row in docs/configuration.md fails here."""

import re
from pathlib import Path

from agora.config import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def documented() -> set[str]:
    return set(re.findall(r"^\| `(AGORA_[A-Z0-9_]+)` \|", DOC.read_text(), flags=re.M))


def test_every_setting_has_a_row_in_the_configuration_doc():
    settings = {f"AGORA_{name.upper()}" for name in Settings.model_fields}
    missing = sorted(settings - documented())
    assert not missing, f"document these in docs/configuration.md: {missing}"


def test_the_doc_lists_no_setting_that_does_not_exist():
    settings = {f"AGORA_{name.upper()}" for name in Settings.model_fields}
    stale = sorted(documented() - settings)
    assert not stale, f"docs/configuration.md lists settings Agora does not read: {stale}"


def test_every_setting_has_a_description_in_code():
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not undocumented
