"""The chat log's streaming Markdown: same result as one render, flat cost, safety."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rich.console import Console

from cherry_tui.core.history import Message
from cherry_tui.ui.widgets import chatlog
from cherry_tui.ui.widgets.chatlog import (
    AnswerEntry, ChatMarkdown, MarkdownBlocks, Renderer, block_starts, clean,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_chat import markdown_answer


def renderer(width: int = 76) -> Renderer:
    console = Console(width=width, force_terminal=True, color_system="truecolor",
                      legacy_windows=False)
    return Renderer(console, width, "monokai", {})


def texts(strips) -> list[str]:
    return [s.text.rstrip() for s in strips]


def stream(pieces: list[str], r: Renderer, every: int = 1) -> MarkdownBlocks:
    blocks = MarkdownBlocks()
    for i, piece in enumerate(pieces, 1):
        blocks.append(piece)
        if i % every == 0:
            blocks.update(r)
    blocks.finish()
    blocks.update(r)
    return blocks


def test_streamed_equals_rendered_at_once():
    pieces = markdown_answer(1500)
    r = renderer()
    streamed = stream(pieces, r, every=3)
    at_once = MarkdownBlocks()
    at_once.append("".join(pieces))
    at_once.finish()
    at_once.update(r)
    assert texts(streamed.done) == texts(at_once.done)
    # and the same words as Rich rendering the whole document in one go
    whole = r.lines(ChatMarkdown("".join(pieces)))
    assert [t for t in texts(streamed.done) if t.strip()] == \
        [t for t in texts(whole) if t.strip()]


@pytest.mark.perf  # renders a 4,000-chunk answer chunk by chunk: seconds of CPU
def test_cost_per_chunk_does_not_grow(monkeypatch):
    rendered = []
    real = Renderer.markdown

    def counting(self, src, style="none"):
        rendered.append(len(src))
        return real(self, src, style)

    monkeypatch.setattr(Renderer, "markdown", counting)
    r = renderer()
    ratios = {}
    for n in (500, 4000):
        rendered.clear()
        pieces = markdown_answer(n)
        stream(pieces, r, every=1)  # the worst case: a re-render per chunk
        ratios[n] = sum(rendered) / len("".join(pieces))
    # characters rendered per character received: the same for a long answer
    assert ratios[4000] < ratios[500] * 1.3, ratios


def test_a_block_is_finished_only_on_a_complete_line():
    assert block_starts("para\n\n# Head\n") == [0, 2]
    r = renderer()
    b = MarkdownBlocks()
    b.append("para\n***")  # '***' may still become '***bold***' (same paragraph)
    b.update(r)
    assert b.sources == [] and b.ready == []
    b.append("bold***\n\nnext")
    b.update(r)
    assert b.done == []  # "next" is not a complete line yet
    b.append("\n")
    b.update(r)
    assert texts(b.done) == ["para bold"]  # one paragraph, as the whole text says
    assert b.tail == "next\n"


def test_open_code_fence_renders_as_code_while_streaming():
    r = renderer()
    b = MarkdownBlocks()
    b.append("Intro.\n\n```python\ndef f():\n    return 1\n")
    b.update(r)
    assert texts(b.done) == ["Intro."]
    assert "def f():" in "\n".join(texts(b.open)) and "```" not in "\n".join(texts(b.open))


def test_backlog_renders_within_a_budget():
    r = renderer()
    b = MarkdownBlocks()
    b.append("".join(markdown_answer(3000)))
    # all there at once (an answer opened): the end first, one block above it per update
    b.update(r, budget=0)
    assert b.behind and b.dirty and b.open and b.done
    behind = b.behind
    b.update(r, budget=0)
    assert b.behind == behind - 1 and b.prepended
    b.update(r)
    assert not b.behind and not b.dirty
    # more text faster than it renders (a stream): the blocks wait in order, the open
    # block shows once none wait
    b.append("".join(markdown_answer(3000)))
    b.update(r, budget=0)
    assert b.ready and b.dirty and b.open == []
    waiting = len(b.ready)
    b.update(r, budget=0)
    assert len(b.ready) == waiting - 1
    b.update(r)
    assert not b.ready and b.open


def test_clean_makes_controls_visible_and_keeps_text():
    assert clean("a\x1b[2Jb\tc\r\nd\x07\x9b") == "a^[[2Jb c\nd^G<0x9b>"
    assert clean("\tx") == "    x"
    assert clean("[bold]x[/]") == "[bold]x[/]"


def test_raw_html_and_links_are_text():
    r = renderer()
    out = "\n".join(texts(r.markdown("<script>alert(1)</script>\n\nsee [x](http://e.x)")))
    assert "<script>alert(1)</script>" in out
    assert "x" in out


def test_answer_meta_line():
    msg = Message("assistant", "hi", model="mock/gpt-4o", prompt_tokens=12,
                  completion_tokens=30, elapsed=1.5)
    entry = AnswerEntry(msg)
    assert entry.meta_text() == "gpt-4o · 12 in / 30 out · 1.5 s · 20 tok/s"
    entry.rate = 42.0
    assert entry.meta_text().endswith("42 tok/s")
    est = AnswerEntry(Message("assistant", model="m/x", elapsed=2.0))
    est.chunks = 10
    assert est.meta_text() == "x · ~10 out · 2.0 s · 5 tok/s"


def test_frame_budget_constants_are_sane():
    assert 1 / 60 <= chatlog.FRAME <= 1 / 10
    assert chatlog.FLUSH_BUDGET < chatlog.FRAME
