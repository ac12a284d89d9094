"""docs/seed-rules.md is the product's definition of done for the seed rules (issue #22): it must
list every software row of the register with where it lives, and be regenerated when a test
starts naming a rule id."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT.parent / "shared" / "seed-rules.md"


@pytest.mark.skipif(not REGISTER.is_file(), reason="the seed register (../shared/seed-rules.md) is not beside the repo")
def test_seed_register_is_current():
    result = subprocess.run([sys.executable, "bin/seed_register.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not REGISTER.is_file(), reason="the seed register is not beside the repo")
def test_every_software_row_is_listed_once():
    import re

    text = (ROOT / "docs" / "seed-rules.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| (S00\d-\d\d) \|", text, flags=re.M)
    assert len(listed) == len(set(listed)) and len(listed) >= 180
