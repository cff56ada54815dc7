"""``cherry-tui ask / models / check`` as the real console script, one provider per protocol.

Each provider points at a local server speaking its wire format (tests/servers/wire.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers.wire import KEY, MODEL, MODELS, Serving

BIN = str(Path(sys.executable).parent / "cherry-tui")
TYPES = {"responses": "openai-responses", "gemini": "gemini", "azure": "azure-openai"}


@pytest.fixture(params=list(TYPES))
def wire(request, config_file):
    with Serving(request.param) as w:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(
            f'[providers.p]\nname = "P"\ntype = "{TYPES[w.kind]}"\naddress = "{w.root}"\n'
            f'key = "env:P_KEY"\nmodels = ["{MODEL}"]\nenabled = true\n')
        yield w


def run(*args: str, key: str = KEY) -> subprocess.CompletedProcess:
    env = {**os.environ, "P_KEY": key}
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_ask_streams(wire):
    r = run("ask", "-m", f"p/{MODEL}", "--show-reasoning", "-s", "Be brief.", "Hi")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello there\n"
    assert r.stderr == ("" if wire.kind == "azure" else "Thinking hard\n")


def test_ask_whole_answer(wire):
    r = run("ask", "-m", f"p/{MODEL}", "--no-stream", "Hi")
    assert (r.returncode, r.stdout) == (0, "Hello there\n"), r.stderr


def test_models_and_check(wire):
    r = run("models", "p")
    assert r.returncode == 0, r.stderr
    assert all(m in r.stdout for m in MODELS)
    r = run("check", "p")
    assert r.returncode == 0, r.stderr
    called = {"responses": "/v1/responses",
              "gemini": f"/v1beta/models/{MODEL}:generateContent",
              "azure": f"/openai/deployments/{MODEL}/chat/completions?api-version=2024-10-21"}
    assert "OK" in r.stdout and f"({wire.root}{called[wire.kind]})" in r.stdout


def test_ask_with_a_wrong_key_is_one_line(wire):
    r = run("ask", "-m", f"p/{MODEL}", "Hi", key="sk-wrong-0123456789abcdefXYZ")
    assert r.returncode == 1 and r.stdout == ""
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("cherry-tui: ") and "rejected the API key sk-w****fXYZ" in line
    assert "Traceback" not in r.stderr


def test_ask_cut_mid_answer_keeps_the_text(wire):
    wire.fault = "cut"
    r = run("ask", "-m", f"p/{MODEL}", "Hi")
    assert r.returncode == 1
    assert r.stdout.startswith("Hel") and "was cut off" in r.stderr
