"""src/ passes ruff and mypy (both configured in pyproject.toml), so every run of the suite holds the code to them.

Run them alone with `.venv/bin/ruff check src` (`--fix` applies the safe fixes) and `.venv/bin/mypy`.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing_in_src():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "src"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"ruff check src:\n{result.stdout}{result.stderr}"


def test_mypy_finds_nothing_in_src():
    # Its cache (.mypy_cache) makes a run after a small change take seconds instead of about 20.
    result = subprocess.run([sys.executable, "-m", "mypy", "src"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"mypy src:\n{result.stdout}{result.stderr}"
