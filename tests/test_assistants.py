"""Assistants in config.toml: loading, validation, built-ins overridden or hidden, edits
saved through the comment-keeping config path, context trimming, and ``config check``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cherry_tui.core import assistants as A
from cherry_tui.core.config import Config

MINE = """\
# my assistants
[providers.mock]          # a provider the assistants use
name = "Mock"
type = "openai"
address = "http://127.0.0.1:9/v1"
models = ["gpt-4o"]
enabled = true

[assistants.review]       # the built-in, with my model
model = "mock/gpt-4o"

[assistants.translate]
hidden = true

[assistants.sql]          # mine
prompt = "You write PostgreSQL."
temperature = 0.2
top_p = 0.9
max_tokens = 300
context = 2
"""


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cherry_tui", *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def cfg(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(MINE)
    return Config.load(config_file)


def by_name(cfg: Config) -> dict[str, A.Assistant]:
    return {a.name: a for a in A.load(cfg)}


def test_builtins_ship_with_prompts(config_file):
    assert {"translate", "shell", "review", "logs"} <= set(A.builtin_names())
    cfg = Config.load(config_file)  # no file: the built-ins alone
    for a in A.load(cfg):
        assert a.source == A.BUILTIN and len(a.prompt) > 100 and not a.problems


def test_overrides_hide_and_own(cfg):
    found = by_name(cfg)
    review = found["review"]
    assert review.source == A.CHANGED and review.model == "mock/gpt-4o"
    assert "diff" in review.prompt and review.temperature == 0.2  # the rest is the built-in's
    assert found["translate"].hidden and found["translate"].source == A.CHANGED
    sql = found["sql"]
    assert (sql.source, sql.prompt, sql.temperature, sql.top_p, sql.max_tokens, sql.context) \
        == (A.YOURS, "You write PostgreSQL.", 0.2, 0.9, 300, 2)
    assert list(found)[-1] == "sql"  # built-ins first, then the user's own


@pytest.mark.parametrize(("line", "message"), [
    ("temperature = 3", "[assistants.bad] temperature must be a number from 0 to 2, not 3"),
    ('temperature = "hot"', "[assistants.bad] temperature must be a number from 0 to 2"),
    ("top_p = 1.5", "[assistants.bad] top_p must be a number from 0 to 1, not 1.5"),
    ("max_tokens = 0", "[assistants.bad] max_tokens must be a whole number of at least 1"),
    ('context = "some"', '[assistants.bad] context must be "all" or how many'),
    ("context = -1", '[assistants.bad] context must be "all"'),
    ('model = "gpt-4o"', "[assistants.bad] model must be PROVIDER/MODEL"),
    ('model = "nowhere/gpt-4o"', "[assistants.bad] model names provider 'nowhere'"),
    ("hidden = 1", "[assistants.bad] hidden must be true or false"),
    ("prompt = 3", "[assistants.bad] prompt must be text in quotes, not a number"),
])
def test_bad_values_are_one_line_problems(config_file, line, message):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f"[assistants.bad]\n{line}\n")
    bad = by_name(Config.load(config_file))["bad"]
    assert len(bad.problems) == 1 and bad.problems[0].startswith(message), bad.problems
    assert "\n" not in bad.problems[0]


def test_context_all_is_unlimited(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[assistants.translate]\ncontext = "all"\n')
    assert by_name(Config.load(config_file))["translate"].context is None


def test_trim_context_keeps_system_and_the_last_messages():
    msgs = [{"role": "system", "content": "S"}] + [
        {"role": "user" if n % 2 == 0 else "assistant", "content": str(n)} for n in range(5)]
    assert A.trim_context(msgs, None) == msgs
    assert [m["content"] for m in A.trim_context(msgs, 0)] == ["S", "4"]
    assert [m["content"] for m in A.trim_context(msgs, 2)] == ["S", "2", "3", "4"]
    assert A.trim_context(msgs, 10) == msgs
    # one or two more than there are: all of them (a negative slice once kept only one)
    assert A.trim_context(msgs, 4) == msgs
    assert A.trim_context(msgs, 5) == msgs
    assert A.trim_context(msgs, 6) == msgs


def test_edits_keep_comments_and_round_trip(cfg, config_file):
    A.save(cfg, A.Assistant("go", prompt='Review Go.\nQuote """ and \\ kept.', model="mock/gpt-4o",
                            temperature=0.1, context=4))
    A.clone(cfg, "review", "review-strict")
    assert "hidden" in A.delete(cfg, "logs")  # a built-in is hidden, not deleted
    assert "deleted" in A.delete(cfg, "sql")
    sql_gone = by_name(cfg)
    assert "sql" not in sql_gone
    cfg.save()
    text = config_file.read_text()
    assert "# my assistants" in text and "# the built-in, with my model" in text
    assert "# mine" not in text  # went with [assistants.sql]
    again = by_name(Config.load(config_file))
    assert again["go"].prompt == 'Review Go.\nQuote """ and \\ kept.'
    assert (again["go"].model, again["go"].temperature, again["go"].context) == \
        ("mock/gpt-4o", 0.1, 4)
    strict = again["review-strict"]
    assert strict.source == A.YOURS and strict.prompt == again["review"].prompt
    assert strict.model == "mock/gpt-4o"
    assert again["logs"].hidden and again["logs"].source == A.CHANGED


def test_saving_a_builtin_writes_only_what_differs(cfg, config_file):
    shell = by_name(cfg)["shell"]
    A.save(cfg, A.Assistant("shell", prompt=shell.prompt, temperature=0.7, context=3))
    A.save(cfg, A.Assistant("translate", prompt=by_name(cfg)["translate"].prompt,
                            temperature=0.3, context=None))  # shown again, context all
    cfg.save()
    doc = Config.load(config_file).doc
    assert dict(doc["assistants"]["shell"]) == {"temperature": 0.7, "context": 3}
    assert dict(doc["assistants"]["translate"]) == {"context": "all"}


def test_clone_name_is_checked(cfg):
    with pytest.raises(ValueError, match="exists already"):
        A.clone(cfg, "review", "sql")
    with pytest.raises(ValueError, match="letters, digits"):
        A.clone(cfg, "review", "my review")


def test_config_check_names_table_field_and_line(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[assistants.mine]\nprompt = "x"\ntemperature = 9\ncolour = 1\n')
    r = cli("config", "check")
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = r.stdout + r.stderr
    assert "line 3: [assistants.mine] temperature must be a number from 0 to 2, not 9" in out
    assert "line 4: note: [assistants.mine] colour is not an assistant field" in out
    assert "Traceback" not in out


def test_assistants_command_lists_and_json(cfg):
    r = cli("assistants")
    assert r.returncode == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines()[1:]}
    assert "built-in, changed" in lines["review"] and "mock/gpt-4o" in lines["review"]
    assert "hidden" in lines["translate"] and "yours" in lines["sql"]
    assert "context=2" in lines["sql"] and "top_p=0.9" in lines["sql"]
    rows = {row["name"]: row for row in json.loads(cli("assistants", "--json").stdout)}
    assert rows["sql"]["max_tokens"] == 300 and rows["shell"]["context"] == "all"
    assert rows["translate"]["hidden"] is True and rows["logs"]["source"] == "built-in"
