"""Every package the application imports is a runtime dependency, not only a dev one.

`make run` installs the runtime dependencies alone; a module imported by src/agora that
only the dev extra brings in works in tests and fails for every newcomer.
"""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {normalized(re.split(r"[\s<>=!~\[;]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}


def imported_top_level_modules() -> set[str]:
    modules = set()
    for path in (ROOT / "src" / "agora").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"agora"}


def test_every_imported_package_is_a_runtime_dependency():
    runtime, providers = runtime_distributions(), packages_distributions()
    missing = {}
    for module in sorted(imported_top_level_modules()):
        distributions = {normalized(d) for d in providers.get(module, [])}
        if not distributions & runtime:
            missing[module] = sorted(distributions) or ["(not installed)"]
    assert not missing, f"add to [project.dependencies] in pyproject.toml: {missing}"
