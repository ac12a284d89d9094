# Sourced by bin/run and bin/test: make .venv with the project's dependencies.
# Needs only Python >= 3.11 on the machine. Re-running is cheap: pip skips what is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed${EXTRAS:+-$EXTRAS}"
lock="requirements${EXTRAS:+-$EXTRAS}.lock"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
  echo "==> installing dependencies (pyproject.toml${EXTRAS:+ [$EXTRAS]})"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  # The lock pins every package with its hash, so every machine installs the same versions;
  # bin/lock re-creates it from pyproject.toml.
  if ! .venv/bin/python -m pip install --disable-pip-version-check --require-hashes -r "$lock" \
      >.venv/pip.log 2>&1; then
    cat .venv/pip.log; echo "pip install failed (log above, also in .venv/pip.log)"; exit 1
  fi
  touch "$stamp"
fi
