"""The conference notebook runs headless: nbval in lax mode, in a subprocess so
that it uses the notebook's own kernel and a review store in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_notebook_runs_headless_with_nbval_lax(tmp_path):
    env = dict(os.environ, TEICHAKU_DB=str(tmp_path / "nb.sqlite"))
    env.pop("TEICHAKU_BOOK", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                             str(ROOT / "teichaku_nb" / "app_notebook" / "conference.ipynb")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
