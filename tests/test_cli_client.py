"""``cherry-tui models / check / ask`` run as the real console script.

Against llmock (scripted replies, faults, the journal of what was sent) and, marked
``model``, against llama-cpp-python's server with SmolLM2 (real tokens, a real 401).
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cherry_tui.core.client import Client, ContentDelta, ProviderError
from cherry_tui.core.config import Config
from cherry_tui.core.secrets import mask

BIN = str(Path(sys.executable).parent / "cherry-tui")
KEY = "sk-mock-0123456789abcdefSECRET"


def write_config(path: Path, address: str, *, pid: str = "mock", var: str = "MOCK_KEY",
                 default: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f'default_model = "{default}"'] if default else []
    lines += [f"[providers.{pid}]", 'name = "Mock"', 'type = "openai"', f'address = "{address}"',
              f'key = "env:{var}"', 'models = ["gpt-4o"]', "enabled = true"]
    path.write_text("\n".join(lines) + "\n")


def env_with(**extra) -> dict:
    env = dict(os.environ)  # carries CHERRY_TUI_CONFIG from the isolated_env fixture
    env.update(extra)
    return env


def run(*args, stdin: str | None = "", key: str | None = KEY, env: dict | None = None):
    e = env_with(**({"MOCK_KEY": key} if key is not None else {}))
    if key is None:
        e.pop("MOCK_KEY", None)
    e.update(env or {})
    return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, env=e,
                          timeout=120, stdin=None if stdin is not None else subprocess.DEVNULL)


def one_error_line(r, status: int = 1) -> str:
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cherry-tui: "), r.stderr
    assert "Traceback" not in r.stderr and KEY not in r.stderr and KEY not in r.stdout
    return lines[0]


@pytest.fixture
def mock_config(config_file, llmock):
    write_config(config_file, llmock.url)
    return config_file


# ---------------------------------------------------------------------------- ask
def test_ask_streams_the_answer_and_sends_the_request(mock_config, llmock):
    llmock.reply("Paris is the capital of France.")
    r = run("ask", "-m", "mock/gpt-4o", "-s", "Be brief.", "-t", "0.3", "What", "is", "it?")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Paris is the capital of France.\n" and r.stderr == ""
    rec = llmock.last_request
    assert rec.path == "/v1/chat/completions" and rec.body["stream"] is True
    assert rec.body["stream_options"] == {"include_usage": True}
    assert rec.body["messages"] == [{"role": "system", "content": "Be brief."},
                                    {"role": "user", "content": "What is it?"}]
    assert rec.body["temperature"] == 0.3 and rec.body["model"] == "gpt-4o"


@pytest.mark.parametrize("args", [[], ["-"]])
def test_ask_reads_the_prompt_from_stdin(mock_config, llmock, args):
    llmock.reply("ok")
    r = run("ask", "-m", "mock/gpt-4o", *args, stdin="What is the capital of France?\n")
    assert r.returncode == 0 and r.stdout == "ok\n"
    assert llmock.last_request.body["messages"] == [
        {"role": "user", "content": "What is the capital of France?"}]


def test_ask_puts_piped_stdin_before_the_prompt(mock_config, llmock):
    llmock.reply("ok")
    r = run("ask", "-m", "mock/gpt-4o", "Summarise this.", stdin="line one\nline two\n")
    assert r.returncode == 0
    assert (llmock.last_request.body["messages"][-1]["content"]
            == "line one\nline two\n\nSummarise this.")


def test_ask_uses_the_default_model_and_model_ids_with_slashes(config_file, llmock):
    write_config(config_file, llmock.url, default="mock/meta-llama/Llama-3-8B")
    llmock.reply("ok")
    assert run("ask", "hi").returncode == 0
    assert llmock.last_request.body["model"] == "meta-llama/Llama-3-8B"


def test_ask_with_only_a_provider_uses_its_default_or_first_model(config_file, llmock):
    write_config(config_file, llmock.url)  # models = ["gpt-4o"], no default_model
    llmock.reply("ok", times=2)
    r = run("ask", "-m", "mock", "hi")
    assert r.returncode == 0, r.stderr
    assert llmock.last_request.body["model"] == "gpt-4o"
    write_config(config_file, llmock.url, default="mock/meta-llama/Llama-3-8B")
    assert run("ask", "-m", "mock", "hi").returncode == 0
    assert llmock.last_request.body["model"] == "meta-llama/Llama-3-8B"


def test_ask_with_a_provider_that_has_no_models_says_how(config_file, llmock):
    write_config(config_file, llmock.url)
    config_file.write_text(config_file.read_text().replace('models = ["gpt-4o"]', "models = []"))
    r = run("ask", "-m", "mock", "hi")
    line = one_error_line(r, status=2)
    assert line == ("cherry-tui: provider 'mock' has no models: add one (cherry-tui models mock "
                    "lists the server's), or use -m mock/MODEL")


def test_ask_no_stream(mock_config, llmock):
    llmock.reply("<think>why</think>Because.")
    r = run("ask", "-m", "mock/gpt-4o", "--no-stream", "--show-reasoning", "Why?")
    assert r.returncode == 0 and r.stdout == "Because.\n" and r.stderr == "why\n"
    assert "stream" not in llmock.last_request.body


def test_reasoning_goes_to_stderr_only_when_asked(mock_config, llmock):
    llmock.reply("<think>Let me think.</think>\n\nThe answer is 4.", times=2)
    r = run("ask", "-m", "mock/gpt-4o", "2+2?")
    assert r.returncode == 0 and r.stdout == "The answer is 4.\n" and r.stderr == ""
    r = run("ask", "-m", "mock/gpt-4o", "--show-reasoning", "2+2?")
    assert r.returncode == 0 and r.stdout == "The answer is 4.\n"
    assert r.stderr == "Let me think.\n"


ESCAPES = "A \x1b[31mred\x1b[0m title\x1b]0;pwned\x07 end"


def test_control_sequences_are_neutralised_on_a_terminal(mock_config, llmock):
    llmock.reply(ESCAPES)
    master, slave = pty.openpty()
    proc = subprocess.Popen([BIN, "ask", "-m", "mock/gpt-4o", "hi"], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=subprocess.PIPE, env=env_with(MOCK_KEY=KEY))
    os.close(slave)
    out = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out += data
    os.close(master)
    assert proc.wait(60) == 0, proc.stderr.read()
    proc.stderr.close()
    assert b"\x1b" not in out and b"\x07" not in out
    assert b"A ^[[31mred^[[0m title^[]0;pwned^G end" in out


def test_output_to_a_pipe_is_raw(mock_config, llmock):
    llmock.reply(ESCAPES)
    r = run("ask", "-m", "mock/gpt-4o", "hi")
    assert r.returncode == 0 and r.stdout == ESCAPES + "\n"


def ctrl_c_reaches_it() -> None:
    """In the child: ctrl+c's default action, as in a terminal. A test run started in the
    background (``pytest &``) passes SIGINT on ignored, and the ctrl+c tests would see a
    program that never hears it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_cleanly_with_130(mock_config, llmock):
    llmock.pace(100).reply(" ".join(f"word{i}" for i in range(500)))
    proc = subprocess.Popen([BIN, "ask", "-m", "mock/gpt-4o", "go"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env_with(MOCK_KEY=KEY), preexec_fn=ctrl_c_reaches_it)
    first = proc.stdout.read1(100)  # blocks until the answer starts streaming
    assert first.startswith(b"word0")
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.decode().strip() == "cherry-tui: interrupted"
    assert (first + rest).endswith(b"\n") and len(first + rest) < 3000
    rec = llmock.last_request
    assert rec.completed is False and rec.chunks_sent < 400  # the connection was closed


# ---------------------------------------------------------------------------- errors
def test_provider_errors_are_one_line_with_status_1(mock_config, llmock):
    llmock.fail(401)
    line = one_error_line(run("ask", "-m", "mock/gpt-4o", "hi"))
    assert mask(KEY) in line and "rejected the API key" in line


def test_partial_answer_then_the_error(mock_config, llmock):
    llmock.reply("one two three four five six").disconnect(after_chunks=3)
    r = run("ask", "-m", "mock/gpt-4o", "hi")
    assert r.stdout == "one two \n"
    assert "cut in the middle of the answer" in one_error_line(r)


def test_missing_key(mock_config):
    line = one_error_line(run("ask", "-m", "mock/gpt-4o", "hi", key=None))
    assert "MOCK_KEY is not set" in line


@pytest.mark.parametrize("args, says", [
    (["ask", "hi"], "no model"),
    (["ask", "-m", "gpt-4o", "hi"], "PROVIDER/MODEL"),
    (["ask", "-m", "nobody/gpt-4o", "hi"], "unknown provider 'nobody'"),
    (["ask", "-m", "mock/gpt-4o", "-t", "7", "hi"], "temperature"),
    (["ask", "-m", "mock/gpt-4o"], "no prompt"),
    (["models", "nobody"], "unknown provider"),
])
def test_usage_errors_exit_2(mock_config, llmock, args, says):
    r = run(*args, stdin="  \n")
    assert says in one_error_line(r, status=2)
    assert llmock.requests == []


# ---------------------------------------------------------------------------- models, check
def test_models(mock_config, llmock):
    r = run("models", "mock")
    assert r.returncode == 0
    ids = [line.split()[0] for line in r.stdout.splitlines()]
    assert ids == sorted(ids) and "gpt-4o" in ids
    assert "gpt-4o  " in r.stdout and r.stdout.splitlines()[ids.index("gpt-4o")].endswith("vision")
    r = run("models", "mock", "--json")
    import json

    assert {"id": "gpt-4o-mini", "kind": "vision"} in json.loads(r.stdout)
    assert llmock.last_request.path == "/v1/models"


def test_models_from_an_exact_address_without_a_list(config_file, llmock):
    write_config(config_file, llmock.url + "/v1/invoke#")
    assert "cannot be derived" in one_error_line(run("models", "mock"))


def test_check(mock_config, llmock):
    r = run("check", "mock", "-m", "gpt-4o")
    assert r.returncode == 0 and r.stdout.startswith("mock: OK: gpt-4o answered in ")
    assert f"{llmock.url}/v1/chat/completions" in r.stdout
    assert llmock.last_request.body["max_tokens"] == 1
    llmock.fail(503)
    assert "HTTP 503" in one_error_line(run("check", "mock"))


def test_check_scheme_mismatch(config_file, llmock):
    write_config(config_file, llmock.url.replace("http://", "https://"))
    line = one_error_line(run("check", "mock"))
    assert f"use {llmock.url} as the address" in line


# ---------------------------------------------------------------------------- real model
@pytest.fixture
def local_config(config_file, model_server):
    write_config(config_file, model_server.url, pid="local", var="LOCAL_KEY")
    return config_file


def ask_local(*args, key: str, stdin: str = ""):
    return subprocess.run([BIN, "ask", "-m", "local/smollm2", *args], input=stdin,
                          capture_output=True, text=True, timeout=300,
                          env=env_with(LOCAL_KEY=key))


@pytest.mark.model
def test_real_model_answer_is_deterministic_at_temperature_0(local_config, model_server):
    q = "What is the capital of France?\n"
    first = ask_local("-t", "0", "--max-tokens", "40", key=model_server.key, stdin=q)
    second = ask_local("-t", "0", "--max-tokens", "40", key=model_server.key, stdin=q)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.strip() and first.stdout == second.stdout
    assert first.stderr == ""
    assert model_server.key not in first.stdout + first.stderr


@pytest.mark.model
def test_real_model_wrong_key_is_a_401(local_config, model_server):
    wrong = "wrong-key-0123456789abcdef"
    r = ask_local("hi", key=wrong)
    assert r.returncode == 1
    line = r.stderr.strip()
    assert line.startswith("cherry-tui: ") and "\n" not in line
    assert "rejected the API key" in line and "HTTP 401" in line and mask(wrong) in line
    assert wrong not in line


@pytest.mark.model
def test_real_model_check_and_models(local_config, model_server):
    r = subprocess.run([BIN, "check", "local", "-m", "smollm2"], capture_output=True, text=True,
                       timeout=300, env=env_with(LOCAL_KEY=model_server.key))
    assert r.returncode == 0 and "OK: smollm2 answered" in r.stdout, r.stderr
    r = subprocess.run([BIN, "models", "local"], capture_output=True, text=True, timeout=300,
                       env=env_with(LOCAL_KEY=model_server.key))
    assert r.stdout.split() == ["smollm2", "chat"]


@pytest.mark.model
async def test_real_model_stop_mid_stream_leaves_the_server_serving(local_config, model_server):
    cfg = Config.load(local_config)
    p = cfg.provider("local")
    msgs = [{"role": "user", "content": "Write a long story about a dragon."}]
    async with Client() as client:
        agen = client.stream_chat(p, [model_server.key], "smollm2", msgs, temperature=0,
                                  max_tokens=400)
        got = []
        async for ev in agen:
            if isinstance(ev, ContentDelta):
                got.append(ev.text)
                if len(got) == 3:
                    break
        await agen.aclose()
        assert len(got) == 3
        text, _, usage, finish = await client.complete(
            p, [model_server.key], "smollm2",
            [{"role": "user", "content": "What is the capital of France?"}],
            temperature=0, max_tokens=20)
        assert text.strip() and finish in ("stop", "length")
        assert usage is not None and usage.completion_tokens > 0
        with pytest.raises(ProviderError) as info:
            await client.complete(p, ["not-the-key-0123456789"], "smollm2", msgs, max_tokens=1)
        assert info.value.kind == "auth" and info.value.status == 401


@pytest.mark.model
def test_real_model_ctrl_c_then_next_request_works(local_config, model_server):
    proc = subprocess.Popen([BIN, "ask", "-m", "local/smollm2", "-t", "0", "--max-tokens", "400",
                             "Write a long story about a dragon."], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env_with(LOCAL_KEY=model_server.key),
                            preexec_fn=ctrl_c_reaches_it)
    assert proc.stdout.read1(100)  # the answer has started
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err.decode().strip() == "cherry-tui: interrupted"
    r = ask_local("-t", "0", "--max-tokens", "20", key=model_server.key,
                  stdin="What is the capital of France?")
    assert r.returncode == 0 and r.stdout.strip()
