"""The one gate for outside text (core/text.py): every control that can change a
terminal's state is made visible, ordinary text passes unchanged."""

from __future__ import annotations

import pytest

from cherry_tui.core.text import count, escape_markup, inert, inert_line

HOSTILE = [
    ("\x1b]0;pwned\x07", "^[]0;pwned^G"),               # OSC 0: window title
    ("\x1b]52;c;ZXZpbA==\x07", "^[]52;c;ZXZpbA==^G"),   # OSC 52: clipboard
    ("\x1b[2J\x1b[H", "^[[2J^[[H"),                     # CSI: clear screen, home
    ("\x9b31m", "<0x9b>31m"),                           # C1 CSI
    ("\x9d0;t\x9c", "<0x9d>0;t<0x9c>"),                 # C1 OSC ... ST
    ("ok\rEVIL", "ok^MEVIL"),                           # CR overwrites the line
    ("a\u202eevil\u202c", "a<U+202E>evil<U+202C>"),     # BiDi override
    ("x\u2066y\u2069", "x<U+2066>y<U+2069>"),           # BiDi isolate
    ("l\u2028m", "l<U+2028>m"),                         # line separator
    ("bell\x07del\x7f", "bell^Gdel^?"),
]


@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_inert_makes_controls_visible(raw, shown):
    assert inert(raw) == shown
    assert inert_line(raw) == shown
    assert "\x1b" not in inert(raw) and "\x9b" not in inert(raw)


def test_inert_keeps_text_lines_and_tabs():
    text = "Hello, 世界 — ok\n\tindented\n"
    assert inert(text) == text
    assert inert("a\r\nb") == "a\nb"


def test_inert_line_keeps_one_line():
    assert inert_line("model\nid\tx") == "model^Jid^Ix"


def test_every_control_code_point_is_made_visible():
    for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]:
        if chr(code) in "\n\t":
            continue
        assert chr(code) not in inert(f"a{chr(code)}b"), hex(code)
        assert chr(code) not in inert_line(f"a{chr(code)}b"), hex(code)


def test_escape_markup_is_inert_and_escaped():
    from rich.markup import render

    raw = "[bold red]x[/] [@click=app.quit]q[/] \x1b[31m \\"
    rendered = render(escape_markup(raw))
    assert rendered.plain == inert(raw)
    assert not rendered.spans


def test_count_says_one_model_not_one_models():
    assert [count(n, "model") for n in (0, 1, 2, 1500)] == \
        ["0 models", "1 model", "2 models", "1,500 models"]
