"""Caches are the application's, never a module's; every event is in docs/architecture.md.

A cache made at import time is shared by every application of the process (the tests run one
per database) and can only be cleared by reaching into its module: caches are made by the app
factory and held on app.state.caches (agora.cache). An event nobody can find is an upward call
nobody can follow: each is listed with who publishes it and who listens.
"""

import ast
from pathlib import Path

from agora import events

ROOT = Path(__file__).resolve().parents[1]
CACHE_TYPES = {"TtlCache", "RefreshingCache", "TTLCache", "LRUCache", "TLRUCache", "LFUCache", "Cache", "ProviderCache", "StoreCaches"}


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        function = node.func
        return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
    return None


def test_no_module_makes_a_cache_at_import_time():
    made = []
    for path in sorted((ROOT / "src" / "agora").rglob("*.py")):
        for statement in ast.parse(path.read_text()).body:  # module level only: classes and functions make theirs when called
            if isinstance(statement, ast.Assign | ast.AnnAssign) and _called_name(statement.value) in CACHE_TYPES:
                made.append(f"{path.relative_to(ROOT)}:{statement.lineno}")
    assert not made, f"caches made at import time (make them in create_app, on app.state.caches): {made}"


def test_every_event_is_in_the_architecture_document():
    document = (ROOT / "docs" / "architecture.md").read_text()
    kinds = [kind for kind in vars(events).values() if isinstance(kind, type) and issubclass(kind, events.Event) and kind is not events.Event]
    assert kinds, "agora.events defines no event"
    missing = [kind.name for kind in kinds if f"`{kind.name}`" not in document or f"`{kind.__name__}`" not in document]
    assert not missing, f"add these events to docs/architecture.md (who publishes, who listens): {missing}"
