"""Several models answer one question at once (issue 14, item 3), through Pilot against
llmock (a real local server): mentions and the picker's ctrl+a ask them, the answers
stream side by side, each stops on its own, all are saved, and the one kept is what the
next request continues from."""

from __future__ import annotations

import json
import threading
import time

from llmock.scenarios import Match, Reply, StreamFault

from textual.widgets import OptionList

from cherry_tui.core.history import STOPPED
from cherry_tui.ui.screens.chat_dialogs import ModelPicker
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.chat import ChatScreen
from cherry_tui.ui.widgets.chat_bar import ChatBar
from cherry_tui.ui.widgets.chatlog import AnswerEntry

from servers.local import LocalServer, QuietHandler

from _chat_helpers import (
    history_file, log_text, mock_app, open_chat, type_text, wait_answer, wait_for,
)

MODELS = ("gpt-4o-mini", "gpt-4o")


def reply(llmock, model: str, text: str) -> None:
    llmock.add(Reply(text=text, match=Match(model=model)))


def answers(screen: ChatScreen) -> list[AnswerEntry]:
    return [e for e in screen.log_view.entries if isinstance(e, AnswerEntry)]


def chat_requests(llmock) -> list:
    return [r for r in llmock.requests if r.path.endswith("/chat/completions")]


def sent_messages(record) -> list[dict]:
    return record.body["messages"]


async def ask_both(pilot, question: str) -> ChatScreen:
    """A new chat; ``question`` to both models (mentioned); their answers arrived."""
    screen = await open_chat(pilot)
    await type_text(pilot, f"@mock/gpt-4o-mini @mock/gpt-4o {question}")
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(answers(screen)) == 2, what="two answers")
    await wait_answer(pilot)
    return screen


async def add_gpt_4o(pilot) -> None:
    """ctrl+l, filter, ctrl+a on mock/gpt-4o: it answers too."""
    await pilot.press("ctrl+l")
    await type_text(pilot, "gpt-4o")
    await highlight(pilot, "mock/gpt-4o")
    await pilot.press("ctrl+a")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChatScreen),
                   what="picker closed")


async def count_with_both(pilot, llmock, screen: ChatScreen) -> None:
    """Ask "count"; both models (the conversation's two) answer it."""
    reply(llmock, "gpt-4o-mini", "one")
    reply(llmock, "gpt-4o", "two")
    await type_text(pilot, "count")
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(answers(screen)) == 2, what="two answers")
    await wait_answer(pilot)


async def highlight(pilot, ref: str) -> None:
    """↓ in the open model picker until ``ref`` is highlighted."""
    picker = pilot.app.screen
    assert isinstance(picker, ModelPicker)
    for _ in range(len(picker.shown)):
        if picker.shown[picker.query_one(OptionList).highlighted or 0] == ref:
            return
        await pilot.press("down")
    raise AssertionError(f"{ref} is not in the picker")


def picker_text(app) -> str:
    options = app.screen.query_one(OptionList)
    return "\n".join(str(options.get_option_at_index(i).prompt)
                     for i in range(options.option_count))


async def select_answer(pilot, screen: ChatScreen, model: str) -> None:
    """tab into the log, then ↑ until the answer of ``model`` is selected."""
    await pilot.press("tab")
    for _ in range(6):
        entry = screen.log_view.selected_entry
        if isinstance(entry, AnswerEntry) and entry.message.model == f"mock/{model}":
            return
        await pilot.press("up")
    raise AssertionError(f"no answer of {model} to select")


async def test_mentions_ask_two_models_and_the_kept_answer_goes_on(
        config_file, llmock, monkeypatch, tmp_path):
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    reply(llmock, "gpt-4o-mini", "Mini says: rsync.")
    reply(llmock, "gpt-4o", "Big says: scp is simpler.")
    async with app.run_test(size=(80, 40)) as pilot:
        screen = await ask_both(pilot, "how do I copy a folder?")
        # both were asked the question, without the mentions
        reqs = chat_requests(llmock)
        assert sorted(r.body["model"] for r in reqs) == sorted(MODELS)
        for r in reqs:
            assert sent_messages(r)[-1] == {"role": "user",
                                            "content": "how do I copy a folder?"}
        shown = log_text(screen)
        assert "Mini says: rsync." in shown and "Big says: scp is simpler." in shown
        assert "mock/gpt-4o-mini" in shown and "mock/gpt-4o " in shown + " "
        first, second = answers(screen)
        assert first.kept and not second.kept  # the first model's, until one is kept

        # keep the second: the next question continues from it
        await select_answer(pilot, screen, "gpt-4o")
        await pilot.press("enter")
        await pilot.pause()
        assert second.kept and not first.kept
        assert "✓ kept" in log_text(screen)
        await pilot.press("escape")  # back to the input
        reply(llmock, "gpt-4o-mini", "Because it is secure.")
        await type_text(pilot, "why?")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(chat_requests(llmock)) == 3, what="the next request")
        await wait_answer(pilot)
        sent = sent_messages(chat_requests(llmock)[-1])
        assert sent[-3:] == [
            {"role": "user", "content": "how do I copy a folder?"},
            {"role": "assistant", "content": "Big says: scp is simpler."},
            {"role": "user", "content": "why?"},
        ]
        # the other answer left the log but not the history: [ ] browses it
        shown = log_text(screen)
        assert "Mini says: rsync." not in shown
        assert "Big says: scp is simpler." in shown and "‹ 2/2 ›" in shown
        conv_id = screen.conv.id

    db = history_file(tmp_path)
    conv = db.get(conv_id)
    kept = [m.content for m in conv.messages]
    assert kept == ["@mock/gpt-4o-mini @mock/gpt-4o how do I copy a folder?",
                    "Big says: scp is simpler.", "why?", "Because it is secure."]
    sibs = conv.tree.siblings(conv.messages[1])
    assert [m.content for m in sibs] == ["Mini says: rsync.", "Big says: scp is simpler."]


async def test_picker_ctrl_a_adds_a_model_then_enter_goes_back_to_one(
        config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await open_chat(pilot)
        assert screen.model_ref == "mock/gpt-4o-mini"
        await add_gpt_4o(pilot)
        assert screen.several.models() == ("mock/gpt-4o-mini", "mock/gpt-4o")
        await pilot.pause()
        assert "gpt-4o-mini + gpt-4o" in str(screen.query_one(ChatBar).render())

        await count_with_both(pilot, llmock, screen)
        assert sorted(r.body["model"] for r in chat_requests(llmock)) == sorted(MODELS)

        # enter in the picker chooses one model alone again
        await pilot.press("ctrl+l")
        await type_text(pilot, "gpt-4o")
        await highlight(pilot, "mock/gpt-4o")
        assert "✓ mock/gpt-4o" in picker_text(app)  # the models answering are marked
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), what="picker closed")
        assert screen.several.models() == ("mock/gpt-4o",)
        reply(llmock, "gpt-4o", "three")
        await type_text(pilot, "again")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(chat_requests(llmock)) == 3, what="one request")
        await wait_answer(pilot)
        assert chat_requests(llmock)[-1].body["model"] == "gpt-4o"
        assert len(answers(screen)) == 2  # the first turn settled to its kept answer


async def test_one_of_two_stops_on_its_own_and_both_are_saved(
        config_file, llmock, monkeypatch, tmp_path):
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    reply(llmock, "gpt-4o-mini", "The quick answer.")
    # the big model sends a little, then stalls: a slow server
    llmock.add(Reply(text="A slow and long answer " * 20, match=Match(model="gpt-4o")))
    llmock.add(StreamFault("stall", after_chunks=6, stall_seconds=30, times=1,
                           match=Match(model="gpt-4o", stream=True)))
    async with app.run_test(size=(80, 40)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "@mock/gpt-4o-mini @mock/gpt-4o go")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(answers(screen)) == 2, what="two answers")
        quick, slow = answers(screen)
        await wait_for(pilot, lambda: quick not in screen.streams, what="the quick answer")
        assert slow in screen.streams and screen.answering == 1
        await wait_for(pilot, lambda: slow.content.startswith("A slow"), what="the slow start")

        await select_answer(pilot, screen, "gpt-4o")
        await pilot.press("x")
        await wait_for(pilot, lambda: not screen.streams, what="the slow answer to stop")
        assert slow.message.status == STOPPED
        assert quick.message.status != STOPPED and quick.content == "The quick answer."
        assert "■ stopped" in log_text(screen)
        conv_id = screen.conv.id

    db = history_file(tmp_path)
    conv = db.get(conv_id)
    sibs = conv.tree.siblings(conv.messages[1])
    assert [(m.model, m.status) for m in sibs] == [("mock/gpt-4o-mini", "done"),
                                                   ("mock/gpt-4o", STOPPED)]
    assert sibs[1].content.startswith("A slow")  # what arrived before the stop is kept


async def test_esc_stops_every_answer(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    for model in MODELS:
        llmock.add(Reply(text="word " * 50, match=Match(model=model)))
        llmock.add(StreamFault("stall", after_chunks=2, stall_seconds=30, times=1,
                               match=Match(model=model, stream=True)))
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "@mock/gpt-4o @mock/gpt-4o-mini hi")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.answering == 2, what="two answers arriving")
        assert "2 answering" in str(screen.query_one(ChatBar).render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.streams, what="both stopped")
        assert [e.message.status for e in answers(screen)] == [STOPPED, STOPPED]
        # the first mentioned model answers first, and is the one kept
        assert answers(screen)[0].message.model == "mock/gpt-4o"
        assert isinstance(app.screen, ChatScreen)  # esc stopped; it did not leave


async def test_a_mention_alone_is_not_sent(config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "@mock/gpt-4o")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.chat_input.text == "@mock/gpt-4o"  # kept, to finish
        assert not chat_requests(llmock) and not screen.messages


async def test_tab_completes_a_model_mention(config_file, llmock, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no file of that name here
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "@mock/gpt-4o-m")
        await pilot.press("tab")
        assert screen.chat_input.text == "@mock/gpt-4o-mini "
        assert screen.focused is screen.chat_input


async def test_a_new_context_after_several_answers_follows_the_kept_one(
        config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    reply(llmock, "gpt-4o-mini", "small")
    reply(llmock, "gpt-4o", "big")
    async with app.run_test(size=(80, 40)) as pilot:
        screen = await ask_both(pilot, "hi")
        await select_answer(pilot, screen, "gpt-4o")
        await pilot.press("enter")  # keep the big one
        await pilot.press("escape")
        await pilot.press("ctrl+g")  # a new context: the other answer leaves the log
        await pilot.pause()
        assert [m.role for m in screen.messages] == ["user", "assistant", "context"]
        assert screen.messages[1].content == "big"
        assert [e.message.content for e in answers(screen)] == ["big"]
        assert not screen.several.group


class SlowServer:
    """A second local OpenAI-type server that streams one word every 0.1 s (up to 300):
    a slow model next to llmock's fast one. ``asked`` holds the requests it received."""

    def __init__(self) -> None:
        server = self
        self.asked: list[dict] = []
        self.closed = threading.Event()  # the client hung up (the answer was stopped)

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.asked.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for i in range(300):
                        chunk = {"choices": [{"index": 0, "delta": {"content": f"slow{i} "}}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:
                    server.closed.set()
                self.close_connection = True

        self.local = LocalServer(Handler).start()
        self.url = self.local.url

    def close(self) -> None:
        self.local.stop()


async def test_two_servers_one_slow_stopping_the_slow_one(
        config_file, llmock, monkeypatch, tmp_path):
    slow = SlowServer()
    try:
        app = mock_app(config_file, llmock, monkeypatch, models=("gpt-4o",))
        pid = app.config.add_provider("Slow", "openai", slow.url)
        app.config.set_provider_field(pid, "key", "env:MOCK_KEY")
        app.config.set_models(pid, ["turtle"])
        app.config.save()
        reply(llmock, "gpt-4o", "Fast and done.")
        async with app.run_test(size=(80, 40)) as pilot:
            screen = await open_chat(pilot)
            await type_text(pilot, f"@mock/gpt-4o @{pid}/turtle race")
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(answers(screen)) == 2, what="two answers")
            fast, turtle = answers(screen)
            await wait_for(pilot, lambda: fast not in screen.streams, what="the fast one")
            assert fast.content == "Fast and done." and turtle in screen.streams
            await wait_for(pilot, lambda: "slow3" in turtle.content, what="the slow one")
            await pilot.press("tab")  # the last answer (the slow one) is selected
            assert screen.log_view.selected_entry is turtle
            await pilot.press("x")
            await wait_for(pilot, lambda: not screen.streams, what="the slow one to stop")
            assert turtle.message.status == STOPPED and fast.message.status == "done"
            assert slow.closed.wait(5)  # the connection was closed, not left streaming
            partial = turtle.content
            conv_id = screen.conv.id
        assert [b["messages"][-1]["content"] for b in slow.asked] == ["race"]
        assert llmock.last_request.body["messages"][-1]["content"] == "race"
        conv = history_file(tmp_path).get(conv_id)
        saved = conv.tree.siblings(conv.messages[1])
        assert [(m.model, m.status) for m in saved] == [("mock/gpt-4o", "done"),
                                                        (f"{pid}/turtle", STOPPED)]
        assert saved[1].content == partial and partial.startswith("slow0 slow1 slow2")
    finally:
        slow.close()


async def test_each_answer_counts_down_its_own_rate_limit_wait(
        config_file, llmock, monkeypatch):
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    llmock.rate_limit(times=2, retry_after=2)  # both requests: 429, retry in 2 s
    reply(llmock, "gpt-4o-mini", "small")
    reply(llmock, "gpt-4o", "big")
    async with app.run_test(size=(80, 40)) as pilot:
        screen = await open_chat(pilot)
        await type_text(pilot, "@mock/gpt-4o-mini @mock/gpt-4o hi")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(answers(screen)) == 2, what="two answers")
        waiting = "rate limited by the server, retrying in"
        await wait_for(pilot, lambda: all(waiting in (e.note or "") for e in answers(screen)),
                       what="both counting down")
        await wait_answer(pilot)
        assert [e.content for e in answers(screen)] == ["small", "big"]
        assert not any(e.note for e in answers(screen))  # the countdowns cleared


async def test_the_models_answering_are_kept_with_the_conversation(
        config_file, llmock, monkeypatch, tmp_path):
    app = mock_app(config_file, llmock, monkeypatch, models=MODELS)
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await open_chat(pilot)
        await add_gpt_4o(pilot)
        await count_with_both(pilot, llmock, screen)
        conv_id = screen.conv.id
    saved = history_file(tmp_path).get(conv_id, messages=False)  # (the app flushed at quit)
    assert saved.compare == ("mock/gpt-4o",)

    again = CherryApp(config_file)
    async with again.run_test(size=(80, 30)) as pilot:
        again.push_screen(ChatScreen(conv_id))
        await wait_for(pilot, lambda: isinstance(again.screen, ChatScreen), what="the chat")
        await pilot.pause()
        reopened = again.screen
        assert reopened.several.models() == ("mock/gpt-4o-mini", "mock/gpt-4o")
        assert "gpt-4o-mini + gpt-4o" in str(reopened.query_one(ChatBar).render())
