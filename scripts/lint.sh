#!/usr/bin/env bash
# The linters, as CI runs them (scripts/test.sh runs this before the tests; a finding fails
# the run): ruff (style and likely bugs), then mypy (types; strict on cherry_tui/core).
# Their settings are in pyproject.toml. LINT_PYTHON picks the interpreter (default: the
# project's .venv, else python3); it needs the test extra: pip install -e '.[test]'.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${LINT_PYTHON:-.venv/bin/python}
[ -x "$PY" ] || command -v "$PY" >/dev/null || PY=python3
"$PY" -m ruff check cherry_tui tests
"$PY" -m mypy
