#!/usr/bin/env bash
# Set up cherry-tui in ./.venv on first use (and after pyproject.toml changes), then start it.
# Any arguments are passed on: bash scripts/run.sh url https://api.deepseek.com
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "cherry-tui needs Python 3.11 or newer; found: $("$PY" --version 2>&1)." >&2
  echo "Install it, or point PYTHON at one: PYTHON=python3.12 bash scripts/run.sh" >&2
  exit 1
fi
if [ ! -x .venv/bin/cherry-tui ] || [ pyproject.toml -nt .venv/.cherry-installed ]; then
  echo "Setting up .venv (first run only) ..." >&2
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e . >&2
  touch .venv/.cherry-installed
fi
exec .venv/bin/cherry-tui "$@"
