"""The lock files cover every dependency pyproject.toml declares (bin/lock re-creates them)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _locked(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==", line)
        if m:
            names.add(m.group(1).lower().replace("_", "-").replace(".", "-"))
    return names


def test_every_declared_dependency_is_locked_with_a_hash():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r).replace(".", "-") for r in project["dependencies"]}
    dev = {_name(r).replace(".", "-") for r in project["optional-dependencies"]["dev"]}
    assert runtime - _locked(ROOT / "requirements.lock") == set(), "run bin/lock"
    assert (runtime | dev) - _locked(ROOT / "requirements-dev.lock") == set(), "run bin/lock"
    for lock in ("requirements.lock", "requirements-dev.lock"):
        lines = (ROOT / lock).read_text().splitlines()
        pinned = [i for i, line in enumerate(lines) if re.match(r"^[A-Za-z0-9]", line) and "==" in line]
        assert pinned, lock
        unhashed = [lines[i] for i in pinned if "--hash=sha256:" not in lines[i + 1]]
        assert unhashed == [], f"{lock}: pinned without a hash"
