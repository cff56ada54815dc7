"""``@path`` mentions: finding them, which are files, quoting, and completing a path
(real folders under tmp_path; relative paths start in the current directory)."""

from __future__ import annotations

import pytest

from cherry_tui.core import mentions
from cherry_tui.core.mentions import Mention, complete, complete_path, file_paths, find, quote


@pytest.fixture
def here(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("n")
    (tmp_path / "notes-old.txt").write_text("o")
    (tmp_path / "my file.txt").write_text("m")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_text("l")
    (tmp_path / ".hidden").write_text("h")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_find_mentions_at_word_starts_only():
    text = 'see @notes.txt and @"my file.txt", mail bob@host.com\n@~/x.log @\'a "b".txt\''
    assert find(text) == [
        Mention(4, 14, "notes.txt"), Mention(19, 33, "my file.txt", True),
        Mention(53, 61, "~/x.log"), Mention(62, 74, 'a "b".txt', True)]
    assert find("@ alone, @@x") == [Mention(9, 12, "@x")]


def test_quote_only_when_needed():
    assert quote("notes.txt") == "@notes.txt"
    assert quote("my file.txt") == '@"my file.txt"'
    assert quote('say "hi".txt') == "@'say \"hi\".txt'"
    for path in ("notes.txt", "my file.txt", 'say "hi".txt', "tab\there"):
        [m] = find(quote(path))
        assert m.value == path


def test_which_mentions_are_files(here):
    refs = {"mock/gpt-4o", "ark/doubao-seed-1-6"}
    text = ("@notes.txt, @mock/gpt-4o @alice @logs/app.log @ark/unknown-model @gone.txt "
            '@"my file.txt" @notes.txt @./notes.txt')
    assert file_paths(text, refs, {"mock", "ark"}) == [
        "notes.txt", "logs/app.log", "gone.txt", "my file.txt"]
    # a path-looking word naming no file is still a file to attach (the caller says
    # it is missing); a word that looks like no path is plain text
    assert file_paths("@~/nowhere @nowhere/x @hello", ()) == ["~/nowhere", "nowhere/x"]
    assert mentions.looks_like_path("a.b") and not mentions.looks_like_path("alice")


def test_complete_path(here):
    assert complete_path("no") == ("notes", ["notes-old.txt", "notes.txt"])
    assert complete_path("lo") == ("logs/", ["logs/"])
    assert complete_path("logs/a") == ("logs/app.log", ["app.log"])
    assert complete_path("zz") == ("zz", [])
    assert complete_path(".hi") == (".hidden", [".hidden"])
    assert complete_path("~") == ("~/", ["~/"])


def test_complete_the_mention_at_the_cursor(here):
    c = complete("look at @no")
    assert (c.start, c.text, c.names, c.done) == (8, "@notes", ["notes-old.txt", "notes.txt"],
                                                  False)
    c = complete("@logs/a")
    assert (c.text, c.done) == ("@logs/app.log", True)
    c = complete("@my")
    assert (c.text, c.done) == ('@"my file.txt"', True)  # quoted, closed: one file
    assert complete('@"my f').text == '@"my file.txt"'
    assert complete("@zz").names == []
    assert complete("no mention") is None
    assert complete("bob@no") is None
    assert complete('@"my file.txt"') is None  # closed: tab moves the focus


def test_a_name_with_controls_is_listed_never_completed(here):
    (here / "evil\x1b[2J.txt").write_text("x")
    c = complete("@ev")
    assert (c.text, c.names, c.done) == ("@ev", ["evil\x1b[2J.txt"], False)
    assert mentions.plain("notes.txt") and not mentions.plain("a\u202eb")


def test_model_refs_complete_before_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refs = ["mock/gpt-4o", "mock/gpt-4o-mini", "other/llama3"]
    got = complete("ask @mock/gpt", refs)
    assert got is not None and got.text == "@mock/gpt-4o" and not got.done
    assert got.names == ["mock/gpt-4o", "mock/gpt-4o-mini"]
    got = complete("@oth", refs)
    assert got is not None and (got.text, got.done) == ("@other/llama3", True)
    # a folder of the same start is listed with the models; the completion is their
    # common start
    (tmp_path / "mockups").mkdir()
    got = complete("@mo", refs)
    assert got is not None and got.text == "@mock" and "mockups/" in got.names
    # no model of that start: files as before
    got = complete("@mocku", refs)
    assert got is not None and (got.text, got.names) == ("@mockups/", ["mockups/"])
