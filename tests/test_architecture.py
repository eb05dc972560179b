"""The layer order of docs/architecture.md holds: `lint-imports` (contracts in pyproject.toml) finds nothing.

Run it alone with `.venv/bin/lint-imports`. A second test plants an upward import in a copy of the
sources and checks that the contracts catch it, so this test cannot pass by checking nothing.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} is missing: import-linter is in the dev extra, run `make install-dev`"
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")], cwd=cwd, env=env, capture_output=True, text=True)


def test_the_import_contracts_are_kept():
    result = _lint(ROOT, ROOT / "src")
    assert result.returncode == 0, f"lint-imports (docs/architecture.md says how to turn a call around):\n{result.stdout}{result.stderr}"


def test_an_upward_import_breaks_the_layers_even_inside_a_function(tmp_path):
    shutil.copytree(ROOT / "src" / "agora", tmp_path / "agora", ignore=shutil.ignore_patterns("data", "static", "templates", "locales", "__pycache__"))
    quota = tmp_path / "agora" / "metering" / "quota.py"
    # Metering moving trending itself, as it did before usage.recorded: hidden in a function body.
    quota.write_text(quota.read_text() + "\n\ndef _planted():\n    from agora.store import trending\n\n    return trending\n")
    result = _lint(tmp_path, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "agora.metering.quota -> agora.store" in result.stdout.replace("\n", " "), result.stdout


def test_every_package_has_its_place_in_the_layers():
    """A package missing from the layers contract would not be checked at all: a new one must be placed."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    # agora.models gathers every table for Alembic and the test fixtures; migrations are Alembic's.
    exempt = {"agora.models", "agora.migrations", "agora.locales"}
    package = ROOT / "src" / "agora"
    tops = {f"agora.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    tops |= {f"agora.{p.name}" for p in package.iterdir() if (p / "__init__.py").exists()}
    missing = sorted(t for t in tops - exempt if not any(n == t or n.startswith(t + ".") for n in placed))
    assert not missing, f"place these in [tool.importlinter]'s layers (pyproject.toml) and docs/architecture.md: {missing}"


def test_a_builder_page_asking_the_plan_rules_itself_breaks_the_use_case_contract(tmp_path):
    """Pages and the JSON API reach the plan rules only through agora.gpts.usecases (docs/architecture.md)."""
    shutil.copytree(ROOT / "src" / "agora", tmp_path / "agora", ignore=shutil.ignore_patterns("data", "static", "templates", "locales", "__pycache__"))
    routes = tmp_path / "agora" / "gpts" / "routes.py"
    routes.write_text(routes.read_text() + "\n\ndef _planted():\n    from agora.gpts import plan_rules\n\n    return plan_rules\n")
    result = _lint(tmp_path, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "agora.gpts.routes -> agora.gpts.plan_rules" in result.stdout.replace("\n", " "), result.stdout
