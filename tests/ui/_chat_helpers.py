"""Helpers for the chat UI tests (not a test module)."""

from __future__ import annotations

import asyncio
import time

from textual import events

from cherry_tui.core.history import History
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.chat import ChatScreen
from cherry_tui.ui.widgets.chatlog import AnswerEntry, ChatLog

MOCK_KEY = "sk-test-0123456789abcdef"


def mock_app(config_file, llmock, monkeypatch, models=("gpt-4o-mini",),
             extra: dict | None = None) -> CherryApp:
    """A CherryApp whose config has a provider "Mock" (id mock) pointing at llmock."""
    monkeypatch.setenv("MOCK_KEY", MOCK_KEY)
    app = CherryApp(config_file)
    pid = app.config.add_provider("Mock", "openai", llmock.url)
    assert pid == "mock"
    app.config.set_provider_field(pid, "key", "env:MOCK_KEY")
    app.config.set_models(pid, list(models))
    for name, models_ in (extra or {}).items():
        other = app.config.add_provider(name, "openai", llmock.url)
        app.config.set_provider_field(other, "key", "env:MOCK_KEY")
        app.config.set_models(other, list(models_))
    app.config.save()
    return app


def app_with_toml(config_file, address: str, toml: str,
                  models=("gpt-4o-mini", "gpt-4o")) -> CherryApp:
    """A CherryApp with a provider "Mock" at ``address`` and ``toml`` (assistants, ...)
    added to its config file by hand, as a user would."""
    app = CherryApp(config_file)
    pid = app.config.add_provider("Mock", "openai", address)
    app.config.set_provider_field(pid, "key", "env:MOCK_KEY")
    app.config.set_models(pid, list(models))
    app.config.save()
    config_file.write_text(config_file.read_text() + toml)
    app.config.reload()
    return app


async def wait_for(pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def open_chat(pilot) -> ChatScreen:
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), what="chat screen")
    await pilot.pause()
    return pilot.app.screen


async def type_text(pilot, text: str) -> None:
    pilot.app.post_message(events.Paste(text))  # as the terminal sends it (bracketed paste)
    await pilot.pause()


async def ask(pilot, text: str, wait: bool = True) -> AnswerEntry:
    screen: ChatScreen = pilot.app.screen
    await type_text(pilot, text)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.streaming is not None or screen.worker is None,
                   what="answer start")
    entry = last_answer(screen)
    if wait:
        await wait_answer(pilot)
    return entry


async def wait_answer(pilot, timeout: float = 10.0) -> None:
    screen: ChatScreen = pilot.app.screen
    await wait_for(pilot, lambda: screen.streaming is None, timeout, "the answer to end")
    await pilot.pause()


def last_answer(screen: ChatScreen) -> AnswerEntry:
    return next(e for e in reversed(screen.log_view.entries) if isinstance(e, AnswerEntry))


def log_lines(log: ChatLog) -> list[str]:
    """Every line the log would show, as plain text (entries not yet rendered are rendered)."""
    out = []
    for entry in log.entries:
        if not entry.rendered or entry.dirty:
            entry.render(log.renderer)
        out += [entry.line(i).text.rstrip() for i in range(entry.height)]
    return out


def log_text(screen: ChatScreen) -> str:
    return "\n".join(log_lines(screen.query_one(ChatLog)))


def history_file(tmp_path) -> History:
    return History(tmp_path / "data" / "history.sqlite3")


async def settle(pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()
    await asyncio.sleep(0)
