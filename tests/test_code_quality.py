"""src/ passes ruff (configured in pyproject.toml), so every run of the suite holds the code to it.

Run it alone with `.venv/bin/ruff check src`; `--fix` applies the safe fixes.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing_in_src():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "src"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"ruff check src:\n{result.stdout}{result.stderr}"
