"""The garbage collector's timing (cherry_tui.ui.collector): full collections are rarer
exactly while an answer streams into a chat log or the log has the focus (read back a key
at a time), and the usual thresholds come back."""

from __future__ import annotations

import gc

import pytest

from cherry_tui.core import history as h
from cherry_tui.ui import collector

from _chat_helpers import ask, mock_app, open_chat, wait_answer, wait_for

LONG = " ".join(f"word{i}" for i in range(400))


@pytest.fixture(autouse=True)
def usual_thresholds():
    before = gc.get_threshold()
    yield before
    assert not collector.held()  # every test ends with nothing held
    assert gc.get_threshold() == before


def held_threshold(usual: tuple[int, int, int]) -> tuple[int, int, int]:
    return usual[0], usual[1], usual[2] * collector.HELD_FACTOR


def test_hold_until_the_last_owner_releases(usual_thresholds):
    a, b = object(), object()
    collector.hold(a)
    collector.hold(b)
    collector.hold(a)  # twice: still one owner
    assert gc.get_threshold() == held_threshold(usual_thresholds)
    collector.release(a)
    assert collector.held() and gc.get_threshold() == held_threshold(usual_thresholds)
    collector.release(b)
    assert not collector.held() and gc.get_threshold() == usual_thresholds
    collector.release(b)  # again: nothing changes
    assert gc.get_threshold() == usual_thresholds


async def test_streaming_answer_holds_until_it_ends(config_file, llmock, monkeypatch,
                                                   usual_thresholds):
    llmock.pace(30).reply(LONG)
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chat(pilot)
        assert not collector.held()
        entry = await ask(pilot, "Talk", wait=False)
        await wait_for(pilot, lambda: "word5 " in entry.content, what="some words")
        assert collector.held() and gc.get_threshold() == held_threshold(usual_thresholds)
        await pilot.press("ctrl+c")  # stopped: the answer ends
        await wait_answer(pilot, timeout=5)
        assert entry.message.status == h.STOPPED
        await wait_for(pilot, lambda: not collector.held(), what="the release")
        assert gc.get_threshold() == usual_thresholds
        llmock.pace(0).reply("Short.")
        entry = await ask(pilot, "Again")  # a whole answer: held, then released
        assert entry.message.status == h.DONE and not collector.held()


async def test_leaving_the_chat_while_it_streams_releases(config_file, llmock, monkeypatch,
                                                          usual_thresholds):
    llmock.pace(30).reply(LONG)
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        entry = await ask(pilot, "Talk", wait=False)
        await wait_for(pilot, lambda: "word5 " in entry.content, what="some words")
        assert collector.held()
        await app.pop_screen()  # the chat log is unmounted mid-stream
        await wait_for(pilot, lambda: not screen.is_attached, what="the chat gone")
        assert not collector.held() and gc.get_threshold() == usual_thresholds


async def test_reading_the_log_holds_while_it_has_the_focus(config_file, llmock, monkeypatch,
                                                            usual_thresholds):
    llmock.reply("Short.")
    app = mock_app(config_file, llmock, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await ask(pilot, "Hi")
        assert not collector.held()
        await pilot.press("tab")  # into the log: paging back must not wait on a collection
        await wait_for(pilot, lambda: screen.log_view.has_focus, what="the log focused")
        assert collector.held() and gc.get_threshold() == held_threshold(usual_thresholds)
        await pilot.press("escape")  # back to the input
        await wait_for(pilot, lambda: not screen.log_view.has_focus, what="the input")
        assert not collector.held() and gc.get_threshold() == usual_thresholds
