"""The gate on the chat side (issue 10): outside text reaches the screen only inert.

A conversation whose every field is hostile, in a real SQLite history file; model ids
from the config; a real local server that answers with a hostile 403 body or streams
hostile text and a hostile error in the middle of the answer. For each screen, what the
app would send to the terminal to draw it is rendered (the same path as Textual's own
screenshots) and checked: the controls show in caret/hex notation, the markup shows
literally, and no ESC, BEL, CR, C1 or BiDi control from the outside text is in it.
"""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Input

from cherry_tui.core import history as h
from cherry_tui.ui.screens.chat import ChatScreen
from cherry_tui.ui.screens.chat_dialogs import ModelPicker, SettingsDialog
from cherry_tui.ui.screens.dialogs import PromptDialog
from cherry_tui.ui.screens.history import HistoryScreen

from _chat_helpers import (
    MOCK_KEY, ask, history_file, last_answer, open_chat, settle, type_text, wait_for,
)
from _hostile_chat import (
    INERT, MARKUP, RAW, SHOWN, HostileServer, seed_history, shown, tagged,
)

SIZE = (400, 60)  # wide enough that no hostile field is cut short
# Pilot hides toasts unless asked (run_test(notifications=True)): here they are shown, so
# every check covers them too.
HOSTILE_MODEL = tagged("MODEL")


def terminal_output(app) -> tuple[str, str]:
    """(what the terminal is sent to draw the current screen, the screen as plain text).

    Textual's export_screenshot renders the same way (the screen's compositor through a
    Rich console); here the console's raw output and its text are kept, not an SVG."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.file.getvalue(), console.export_text(styles=False)


def assert_inert(app, *expected: str, server_error: bool = False, every: bool = True) -> str:
    """Nothing raw reaches the terminal, and the screen shows ``expected`` and (``every``)
    each inert form and each markup literally. Returns the screen's text."""
    raw, text = terminal_output(app)
    leaked = [bad for bad in RAW if bad in raw or bad in text]
    assert not leaked, f"raw controls reached the terminal: {leaked}\n{text.strip()}"
    # a server's error text is made one line by the client: its CR is a space
    inert = [i for i in INERT if not (server_error and i == "A^MB")] if every else []
    missing = [form for form in [*(MARKUP if every else ()), *inert, *expected]
               if form not in text]
    assert not missing, f"not on the screen: {missing}\n{text.strip()}"
    return text


def hostile_app(config_file, server: HostileServer, monkeypatch, models: list[str]):
    from cherry_tui.ui.app import CherryApp

    monkeypatch.setenv("EVIL_KEY", MOCK_KEY)
    app = CherryApp(config_file)
    pid = app.config.add_provider("Evil", "openai", server.url)
    app.config.set_provider_field(pid, "name", tagged("PROVIDER"))
    app.config.set_provider_field(pid, "key", "env:EVIL_KEY")
    app.config.set_models(pid, models)
    app.config.save()
    return app, pid


async def test_hostile_conversation_from_history(config_file, monkeypatch, tmp_path):
    db = history_file(tmp_path)
    model_ref = f"evil/{HOSTILE_MODEL}"
    seed_history(db, model_ref)
    db.close()
    with HostileServer() as server:
        app, _ = hostile_app(config_file, server, monkeypatch, [HOSTILE_MODEL])
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await open_chat(pilot)
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen),
                           what="history")
            await settle(pilot)
            # the list row: title and model
            assert_inert(app, shown("TITLE"), shown("MODEL"))

            await type_text(pilot, "ASKED")  # search: the row gets a snippet
            await wait_for(pilot, lambda: app.screen.shown and app.screen.shown[0].snippet,
                           what="search results")
            await settle(pilot)
            text = assert_inert(app, shown("TITLE"))
            assert "ASKED:^[]0;pwned^G" in text

            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen),
                           what="the chat")
            screen = app.screen
            await wait_for(pilot, lambda: screen.messages, what="the conversation")
            await settle(pilot)
            # bar (model, title), question, answer, error line, the answer's header and
            # meta line (model)
            text = assert_inert(app, f"evil/{shown('MODEL')}", shown("TITLE"),
                                shown("ASKED"), shown("SAID"), shown("FAILED"))
            assert text.count(shown("MODEL")) >= 3  # bar, answer header, meta line

            await pilot.press("tab", "t")  # the answer's reasoning
            await wait_for(pilot, lambda: last_answer(screen).show_reasoning,
                           what="reasoning shown")
            await settle(pilot)
            assert_inert(app, shown("THOUGHT"))

            await pilot.press("escape", "ctrl+s")  # settings: title, system prompt
            await wait_for(pilot, lambda: isinstance(app.screen, SettingsDialog),
                           what="settings")
            await settle(pilot)
            # narrow fields: the title scrolls, the prompt wraps; what shows is inert
            assert_inert(app, "SYSTEM:^[]0;pwned^G", "[bold red]X[/]", every=False)
            assert app.screen.query_one("#settings-title", Input).value == shown("TITLE")
            await pilot.press("escape")
            await settle(pilot)

            await pilot.press("up")  # edit the last question: it fills the input
            await wait_for(pilot, lambda: screen.editing is not None, what="editing")
            await settle(pilot)
            assert_inert(app, shown("ASKED"))


async def test_model_picker_with_hostile_ids(config_file, monkeypatch):
    with HostileServer() as server:
        app, pid = hostile_app(config_file, server, monkeypatch,
                               [HOSTILE_MODEL, "plain-model"])
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await open_chat(pilot)
            await pilot.press("ctrl+l")
            await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker),
                           what="model picker")
            await settle(pilot)
            assert_inert(app, f"{pid}/{shown('MODEL')}", f"{pid}/plain-model")
            # filtering highlights the matched letters: still no markup parsed
            await type_text(pilot, "pwned")
            await wait_for(pilot, lambda: app.screen.shown == [f"{pid}/{HOSTILE_MODEL}"],
                           what="the filter")
            await settle(pilot)
            assert_inert(app, f"{pid}/{shown('MODEL')}")
            await pilot.press("enter")  # chosen: the real id, not its shown form
            await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), what="chat")
            assert app.screen.model_ref == f"{pid}/{HOSTILE_MODEL}"
            await settle(pilot)
            assert_inert(app, f"{pid}/{shown('MODEL')}")


async def test_pasted_controls_show_inert(config_file, monkeypatch, tmp_path):
    with HostileServer() as server:
        app, _ = hostile_app(config_file, server, monkeypatch, ["plain-model"])
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = await open_chat(pilot)
            await type_text(pilot, tagged("PASTED") + "\r\nline two\rline three")
            await settle(pilot)
            # every control visible, but a CR in a paste is a line end, as before the gate
            pasted = shown("PASTED").replace("A^MB", "A\nB") + "\nline two\nline three"
            assert screen.chat_input.text == pasted
            assert_inert(app, "PASTED:^[]0;pwned^G^[]52;c;cHduZWQ=^G^[[2J<0x9b>7m",
                         "B<U+202E>RTL<U+202C><U+2066>ISO<U+2069>", *MARKUP, every=False)
            await pilot.press("enter")  # what is sent is what was shown
            await wait_for(pilot, lambda: screen.messages, what="the question")
            assert screen.messages[0].content == pasted
            await wait_for(pilot, lambda: screen.streaming is None, what="the answer")

            await pilot.press("ctrl+p")  # rename: a paste into a one-line field
            await type_text(pilot, "rename conversation")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog),
                           what="the rename dialog")
            await type_text(pilot, tagged("RENAMED"))
            await settle(pilot)
            assert_inert(app, every=False)  # the field scrolls: only part of it shows
            # a one-line field takes the paste's first line (the CR ends it)
            value = app.screen.query_one(Input).value
            assert value.endswith("RENAMED:" + SHOWN.split("^M")[0]), value


async def test_toast_naming_a_hostile_file(config_file):
    """A toast quoting outside text (here a theme file's name) is gated by the app."""
    from cherry_tui.ui.app import CherryApp

    themes = config_file.parent / "themes"
    themes.mkdir(parents=True)
    name = "T\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x9d2;c1\x9c\u202eRTL[bold red]X"
    (themes / f"{name}.toml").write_text("not = [valid toml")
    app = CherryApp(config_file)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.screen.query("Toast"), what="the toast")
        await settle(pilot)
        shown_text = str(app.screen.query_one("Toast").render())
        assert "T^[]0;pwned^G^[]52;c;cHduZWQ=^G<0x9d>2;c1<0x9c><U+202E>RTL[bold red]X.toml" \
            in shown_text
        assert_inert(app, "Theme file problem", every=False)


async def test_server_errors_and_streamed_text(config_file, monkeypatch, tmp_path):
    with HostileServer() as server:
        app, _ = hostile_app(config_file, server, monkeypatch, [HOSTILE_MODEL])
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = await open_chat(pilot)
            # a 403 whose JSON body is hostile: the error line, with the provider's name
            entry = await ask(pilot, "forbidden?")
            assert entry.message.status == h.ERROR and "DENIED:" in entry.message.error
            await settle(pilot)
            assert_inert(app, "HTTP 403", "DENIED:^[]0;pwned^G",
                         shown("PROVIDER").replace("A^MB", "A B"), server_error=True)

            # hostile content and reasoning, then a hostile error in the middle
            entry = await ask(pilot, "hello")
            assert entry.message.status == h.ERROR and "MIDSTREAM:" in entry.message.error
            assert entry.content.startswith(tagged("STREAMED"))  # what arrived is kept
            await settle(pilot)
            text = assert_inert(app, shown("STREAMED"), "end of the streamed part",
                                server_error=True)
            assert "MIDSTREAM:^[]0;pwned^G" in text
            await pilot.press("tab", "t")
            await wait_for(pilot, lambda: last_answer(screen).show_reasoning,
                           what="reasoning shown")
            await settle(pilot)
            assert_inert(app, shown("STREAMTHOUGHT"))
    db = history_file(tmp_path)
    [conv] = db.list()
    answers = [m for m in db.messages(conv.id) if m.role == "assistant"]
    assert answers[-1].content.startswith(tagged("STREAMED"))  # stored as received
    db.close()
