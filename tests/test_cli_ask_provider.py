"""``cherry-tui ask -m PROVIDER`` (no model): the provider's model in default_model, else
its first model; run as the real console script against llmock."""

from __future__ import annotations

from test_cli_client import one_error_line, run, write_config


def test_ask_with_a_provider_alone_uses_its_first_model(config_file, llmock):
    write_config(config_file, llmock.url)  # models = ["gpt-4o"], no default_model
    llmock.reply("Forty-two.")
    r = run("ask", "-m", "mock", "What is it?")
    assert r.returncode == 0, r.stderr
    assert "Forty-two." in r.stdout
    assert llmock.last_request.body["model"] == "gpt-4o"


def test_ask_with_a_provider_alone_prefers_its_default_model(config_file, llmock):
    write_config(config_file, llmock.url, default="mock/gpt-4o-mini")
    llmock.reply("ok")
    r = run("ask", "-m", "mock", "hi")
    assert r.returncode == 0, r.stderr
    assert llmock.last_request.body["model"] == "gpt-4o-mini"


def test_ask_with_an_unknown_provider_alone_says_which_exist(config_file, llmock):
    write_config(config_file, llmock.url)
    line = one_error_line(run("ask", "-m", "nosuch", "hi"), status=2)
    assert "'nosuch' is neither a provider nor PROVIDER/MODEL" in line and "mock" in line


def test_ask_with_a_provider_without_models_says_what_to_do(config_file, llmock):
    write_config(config_file, llmock.url)
    config_file.write_text(config_file.read_text().replace('models = ["gpt-4o"]',
                                                           "models = []"))
    line = one_error_line(run("ask", "-m", "mock", "hi"), status=2)
    assert "has no models" in line and "-m mock/MODEL" in line
