"""core.context: which messages a request sends, about how many tokens, the model's window."""

from __future__ import annotations

import pytest

from cherry_tui.core.context import (
    KNOWN_WINDOWS, calibration, calibration_for, context_window, count_tokens, estimate_tokens,
    known_window, listed_windows, next_request, outgoing, short, text_tokens,
)
from cherry_tui.core.history import CONTEXT, Message


def convo(*items: str) -> list[Message]:
    """Messages from "u:text", "a:text" and "|" (a new-context marker)."""
    out = []
    for item in items:
        if item == "|":
            out.append(Message(CONTEXT))
        else:
            role, _, text = item.partition(":")
            out.append(Message({"u": "user", "a": "assistant"}[role], text))
    return out


def test_only_the_messages_after_the_last_marker_are_sent():
    msgs = convo("u:one", "a:ans one", "|", "u:two", "a:ans two", "|", "u:three")
    assert outgoing(msgs, "Be brief.", None) == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "three"}]
    # without a marker: everything; the marker itself is never sent
    assert [m["content"] for m in outgoing(msgs[:2] + msgs[3:5], "", None)] == [
        "one", "ans one", "two", "ans two"]
    assert all(m["role"] != CONTEXT for m in outgoing(msgs + convo("a:x"), "", None))


def test_a_marker_then_the_assistants_context_limit_and_empty_answers_dropped():
    msgs = convo("u:old", "a:old ans", "|", "u:q1", "a:", "u:q2", "a:a2", "u:q3", "a:a3",
                 "u:q4")
    # context = 2: the two messages before the question, counted after the marker, and
    # the empty answer is left out before counting
    assert [m["content"] for m in outgoing(msgs, "sys", 2)] == ["sys", "q3", "a3", "q4"]
    assert [m["content"] for m in outgoing(msgs, "", 0)] == ["q4"]
    assert [m["content"] for m in outgoing(msgs, "  ", None)] == [
        "q1", "q2", "a2", "q3", "a3", "q4"]  # a blank system prompt is not sent


def test_user_messages_can_be_built_by_a_callback_and_pass_through():
    msgs = convo("u:look", "a:ok", "u:again")
    parts = [{"type": "text", "text": "again"}, {"type": "image_url", "image_url": {"url": "x"}}]
    with_image = {"role": "user", "content": "again", "images": ["an image"]}
    out = outgoing(msgs, "", None, user=lambda m: with_image if m.content == "again"
                   else {"role": "user", "content": m.content})
    assert out[-1] is with_image
    assert out[0] == {"role": "user", "content": "look"}
    assert out[1] == {"role": "assistant", "content": "ok"}  # answers stay text
    # an image is counted as about a thousand tokens, as parts or beside the text
    assert estimate_tokens([out[-1]]) == 4 + text_tokens("again") + 1000
    assert estimate_tokens([{"role": "user", "content": parts}]) == \
        4 + text_tokens("again") + 1000


def test_token_estimates_latin_and_cjk():
    assert count_tokens("") == 0
    assert count_tokens("abcd" * 100) == 100  # about 4 characters a token
    assert count_tokens("你好世界") == 4  # a CJK character about a token
    assert count_tokens("こんにちは 안녕") == 7 + 1  # kana and hangul too; the space is Latin
    assert text_tokens("abcd" * 10) == 10
    assert estimate_tokens([{"role": "user", "content": "abcd"}]) == 4 + 1


def test_next_request_counts_the_draft_and_the_context():
    msgs = convo("u:" + "a" * 400, "a:" + "b" * 400, "|", "u:" + "c" * 40, "a:" + "d" * 40)
    blank = next_request(msgs, "", "", None)
    assert blank.messages == 2 and blank.tokens == 2 * 4 + 10 + 10
    typed = next_request(msgs, "e" * 80, "", None)
    assert typed.messages == 3 and typed.tokens == blank.tokens + 4 + 20
    assert next_request(msgs, "e" * 80, "", 0).messages == 1  # the assistant's context: 0
    assert next_request([], "", "", None).messages == 0


def test_calibration_from_the_servers_prompt_tokens():
    assert calibration(100, None) == 1.0 and calibration(0, 50) == 1.0
    assert calibration(100, 150) == 1.5
    assert calibration(100, 100_000) == 4.0 and calibration(100, 1) == 0.25  # bounded
    msgs = convo("u:" + "x" * 396)  # 99 + 4 = 103 estimated
    answer = Message("assistant", "fine", prompt_tokens=206)
    msgs.append(answer)
    assert calibration_for(msgs, "", None) == pytest.approx(2.0)
    calibrated = next_request(msgs, "", "", None)
    answer.prompt_tokens = None
    assert calibrated.tokens == round(next_request(msgs, "", "", None).tokens * 2.0)


@pytest.mark.parametrize(("model", "window"), [
    ("gpt-4o", 128_000), ("gpt-4o-mini", 128_000), ("openai/gpt-4o-2024-08-06", 128_000),
    ("gpt-4.1", 1_047_576), ("gpt-4.1-nano", 1_047_576), ("o3-mini", 200_000),
    ("o1-mini", 128_000), ("claude-3-5-sonnet-20241022", 200_000),
    ("anthropic/claude-sonnet-4", 200_000), ("gemini-2.5-pro", 1_048_576),
    ("gemini-1.5-pro-002", 2_097_152), ("deepseek-chat", 128_000),
    ("meta-llama/Llama-3.3-70B-Instruct", 131_072), ("llama3.1:8b", 131_072),
    ("doubao-seed-1-6-250615", None), ("my-finetune", None),
])
def test_known_windows(model, window):
    assert known_window(model) == window


def test_the_window_comes_from_config_then_the_server_then_the_table():
    assert context_window("gpt-4o", {"gpt-4o": 64_000}, {"gpt-4o": 100_000}) == (64_000,
                                                                                  "config")
    assert context_window("gpt-4o", {}, {"gpt-4o": 100_000}) == (100_000, "server")
    assert context_window("gpt-4o") == (128_000, "built-in")
    assert context_window("my-model", {"other": 5}, {"x": 1}) is None
    assert all(n > 0 for _, n in KNOWN_WINDOWS)


def test_windows_from_model_lists():
    openrouter = {"data": [
        {"id": "openai/gpt-4o", "context_length": 128000,
         "top_provider": {"context_length": 128000}},
        {"id": "x/only-top", "top_provider": {"context_length": 32768}},
        {"id": "x/none"}, {"id": "x/bad", "context_length": "big"},
        {"id": "x/bool", "context_length": True}, "plain-id"]}
    assert listed_windows(openrouter) == {"openai/gpt-4o": 128000, "x/only-top": 32768}
    assert listed_windows({"data": [{"id": "llama-3.3-70b-versatile",
                                     "context_window": 131072}]}) == {
        "llama-3.3-70b-versatile": 131072}  # Groq
    assert listed_windows({"data": [{"id": "m", "max_model_len": 4096}]}) == {"m": 4096}
    assert listed_windows({"models": [{"name": "models/gemini-2.0-flash",
                                       "inputTokenLimit": 1048576}]}) == {
        "gemini-2.0-flash": 1048576}
    assert listed_windows({"error": "no"}) == {} and listed_windows(None) == {}


@pytest.mark.parametrize(("n", "text"), [
    (850, "850"), (1234, "1.2k"), (140_000, "140k"), (128_000, "128k"), (131_072, "128k"),
    (8192, "8k"), (16_385, "16k"), (1_047_576, "1M"), (1_048_576, "1M"),
    (2_097_152, "2M"), (400_000, "400k")])
def test_short_numbers(n, text):
    assert short(n) == text


def test_context_windows_in_config_are_read_and_kept_with_comments(config_file):
    from cherry_tui.core.config import Config

    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        '# my gateway\n[providers.gw]\nname = "GW"\naddress = "http://127.0.0.1:9"\n'
        'models = ["my-model", "gpt-4o"]\n'
        '# the gateway serves a smaller gpt-4o\n'
        'context_windows = { "my-model" = 32768, "gpt-4o" = 64000, "bad" = "lots" }\n')
    cfg = Config.load(config_file)
    p = cfg.provider("gw")
    assert dict(p.context_windows) == {"my-model": 32768, "gpt-4o": 64000}
    assert any("'bad' = 'lots' is not a number of tokens" in x for x in p.problems)
    assert context_window("gpt-4o", dict(p.context_windows)) == (64000, "config")
    cfg.set_provider_field("gw", "enabled", True)  # any other change: the table stays
    cfg.save()
    text = config_file.read_text()
    assert "# the gateway serves a smaller gpt-4o\n" in text and "# my gateway" in text
    assert 'context_windows = { "my-model" = 32768, "gpt-4o" = 64000' in text
    assert dict(Config.load(config_file).provider("gw").context_windows)["my-model"] == 32768


def test_windows_a_real_model_list_reports_are_kept_between_runs(tmp_path):
    """An OpenRouter-like server on a real socket: list_models remembers the windows it
    reports (in the data dir), a new client reads them; a fresh list replaces them."""
    import asyncio
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cherry_tui.core import model_windows
    from cherry_tui.core.client import Client
    from cherry_tui.core.config import Provider

    listing = {"data": [{"id": "vendor/big", "context_length": 200000},
                        {"id": "vendor/small", "top_provider": {"context_length": 8192}},
                        {"id": "vendor/unknown"}]}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = json.dumps(listing if self.path == "/v1/models" else {}).encode()
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    provider = Provider(id="router", name="Router", type="openai",
                        address=f"http://127.0.0.1:{server.server_port}", enabled=True)

    async def fetch() -> tuple[list[str], dict]:
        client = Client()
        try:
            return await client.list_models(provider, ["sk-router-0123456789"]), client.windows
        finally:
            await client.aclose()

    try:
        ids, windows = asyncio.run(fetch())
        assert ids == ["vendor/big", "vendor/small", "vendor/unknown"]
        assert windows["router"] == {"vendor/big": 200000, "vendor/small": 8192}
        assert model_windows.load() == {"router": {"vendor/big": 200000, "vendor/small": 8192}}
        assert Client().windows["router"]["vendor/big"] == 200000  # a new run reads them
        assert context_window("vendor/big", {}, Client().windows.get("router")) == (
            200000, "server")
        listing["data"] = [{"id": "vendor/big"}]  # the server says nothing any more
        asyncio.run(fetch())
        assert model_windows.load() == {}
    finally:
        server.shutdown()
        server.server_close()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert model_windows.load(broken) == {}
    broken.write_text('{"p": {"m": "big", "n": 0, "ok": 5}, "q": []}')
    assert model_windows.load(broken) == {"p": {"ok": 5}}


def test_tokens_as_people_write_them():
    from cherry_tui.core.context import parse_tokens

    assert [parse_tokens(t) for t in ("32768", "32,768", "128k", "128 K", "1M", "1.5m",
                                      "1,5M", "200 000", "2_000")] == [
        32768, 32768, 128000, 128000, 1000000, 1500000, 1500000, 200000, 2000]
    assert [parse_tokens(t) for t in ("", "abc", "0", "12kk", "-5", "1e6")] == [None] * 6


def test_set_context_window_saves_next_to_the_kinds_and_forgets(config_file):
    from cherry_tui.core.config import Config

    cfg = Config.load(config_file)
    cfg.set_model_kind("deepseek", "deepseek-chat", "reasoning")
    cfg.set_context_window("deepseek", "deepseek-chat", 65536)
    cfg.save()
    text = config_file.read_text()
    assert "context_windows = {deepseek-chat = 65536}" in text
    assert 'model_kinds = {deepseek-chat = "reasoning"}' in text  # the other table stays
    p = Config.load(config_file).provider("deepseek")
    assert dict(p.context_windows) == {"deepseek-chat": 65536}
    with pytest.raises(ValueError, match="above 0"):
        cfg.set_context_window("deepseek", "deepseek-chat", 0)
    cfg.set_context_window("deepseek", "deepseek-chat", None)
    cfg.save()
    assert "context_windows" not in config_file.read_text()
    assert "model_kinds" in config_file.read_text()
