"""Model kinds: guessed from ids as Cherry Studio's patterns do, overridden in config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cherry_tui.core import doctor, model_kinds
from cherry_tui.core.config import Config

CASES = {
    "gpt-4o-mini": "vision", "claude-3-5-sonnet-20241022": "vision",
    "Qwen/Qwen2.5-VL-72B-Instruct": "vision", "glm-4v-plus": "vision", "gemma3:4b": "vision",
    "o3-mini": "reasoning", "deepseek-reasoner": "reasoning",
    "deepseek-ai/DeepSeek-R1": "reasoning", "qwq-32b": "reasoning",
    "gemini-2.5-pro": "reasoning", "doubao-seed-1-6-250615": "reasoning",
    "claude-sonnet-4-20250514": "reasoning", "qwen3-235b-a22b": "reasoning",
    "text-embedding-3-small": "embedding", "BAAI/bge-m3": "embedding",
    "nomic-embed-text": "embedding", "voyage-3": "embedding",
    "BAAI/bge-reranker-v2-m3": "rerank", "jina-reranker-v2-base": "rerank",
    "dall-e-3": "image", "black-forest-labs/FLUX.1-schnell": "image", "gpt-image-1": "image",
    "stabilityai/stable-diffusion-3-5-large": "image", "cogview-4": "image",
    "whisper-1": "audio", "tts-1-hd": "audio", "gpt-4o-mini-tts": "audio",
    "gpt-4o-mini-transcribe": "audio",
    "deepseek-chat": "chat", "qwen-max": "chat", "moonshot-v1-8k": "chat",
    "llama3.1:8b": "chat", "Qwen/Qwen3-235B-A22B-Instruct-2507": "chat",
    "gpt-3.5-turbo": "chat", "mistral-large-latest": "chat",
    "some-gateway/deepseek-r1:free": "reasoning",
}


@pytest.mark.parametrize("model_id,kind", CASES.items())
def test_kind_from_the_id(model_id, kind):
    assert model_kinds.detect(model_id) == kind


def test_base_name_and_anthropic_is_never_embedding():
    assert model_kinds.base_name(" Org/Sub/Model-X:free ") == "model-x"
    assert model_kinds.detect("text-embedding-3-small", "anthropic") != "embedding"
    assert model_kinds.detect("bge-reranker", "anthropic") == "rerank"


def test_override_wins_and_bad_overrides_are_reported(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        '[providers.gw]\nname = "GW"\naddress = "http://127.0.0.1:9"\n'
        'models = ["my-model", "bge-m3"]\n'
        'model_kinds = { "my-model" = "vision", "bge-m3" = "colour" }\n')
    p = Config.load(config_file).provider("gw")
    assert p.kind_of("my-model") == "vision"
    assert p.kind_of("bge-m3") == "embedding"  # the bad entry is left out
    assert any("'colour' is not a kind" in problem for problem in p.problems)
    assert model_kinds.parse_overrides("vision")[1]


def test_set_model_kind_saves_and_forgets(config_file):
    cfg = Config.load(config_file)
    cfg.set_model_kind("deepseek", "deepseek-chat", "reasoning")
    cfg.save()
    text = config_file.read_text()
    assert 'model_kinds = {deepseek-chat = "reasoning"}' in text
    cfg = Config.load(config_file)
    assert cfg.provider("deepseek").kind_of("deepseek-chat") == "reasoning"
    with pytest.raises(ValueError, match="unknown kind"):
        cfg.set_model_kind("deepseek", "deepseek-chat", "colour")
    cfg.set_model_kind("deepseek", "deepseek-chat", None)
    cfg.save()
    assert "model_kinds" not in config_file.read_text()
    assert Config.load(config_file).provider("deepseek").kind_of("deepseek-chat") == "chat"


def test_check_model_is_the_first_chat_model(config_file):
    cfg = Config.load(config_file)
    cfg.add_provider("GW", address="http://127.0.0.1:9",
                     models=["text-embedding-3-small", "bge-reranker-v2", "qwen-max"])
    p = cfg.provider("gw")
    assert doctor.check_model(p, None) == "qwen-max"
    assert doctor.check_model(p, "gw/text-embedding-3-small") == "text-embedding-3-small"
    cfg.set_models("gw", ["text-embedding-3-small"])
    assert doctor.check_model(cfg.provider("gw"), None) is None  # the model list is fetched


class _Models(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"object": "list", "data": [
            {"id": i} for i in ("gpt-4o", "text-embedding-3-small", "whisper-1", "my-model",
                                "deepseek-reasoner")]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_cli_models_json_gives_id_and_kind(config_file):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(
            f'[providers.gw]\nname = "GW"\naddress = "http://127.0.0.1:{server.server_port}"\n'
            'key = "env:GW_KEY"\nmodel_kinds = { "my-model" = "image" }\n')
        env = {**os.environ, "GW_KEY": "sk-test-0000000000"}
        r = subprocess.run([sys.executable, "-m", "cherry_tui", "models", "gw", "--json"],
                           capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == [
            {"id": "deepseek-reasoner", "kind": "reasoning"}, {"id": "gpt-4o", "kind": "vision"},
            {"id": "my-model", "kind": "image"},
            {"id": "text-embedding-3-small", "kind": "embedding"},
            {"id": "whisper-1", "kind": "audio"}]
        r = subprocess.run([sys.executable, "-m", "cherry_tui", "models", "gw"],
                           capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0].split() == ["deepseek-reasoner", "reasoning"]
        assert lines[3].split() == ["text-embedding-3-small", "embedding"]
    finally:
        server.shutdown()
