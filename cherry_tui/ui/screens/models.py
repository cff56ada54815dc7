"""A provider's models: add by exact id, remove, fetch the server's list, pick the default.

The providers' guides insist a model id is copied exactly: an id pasted with quotes
or surrounding spaces gets a warning (with the cleaned id offered) before it is saved.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...core import addresses
from ...core.context import context_window, parse_tokens, short
from ...core.model_kinds import KINDS
from ...core.text import count as n_of
from ...core.text import inert, inert_line
from ..access import cherry_app
from ..widgets.keybar import KeyBar
from .common import commit

WINDOW_FROM = {"config": "yours", "server": "the server's list", "built-in": "built in"}

_QUOTES = "\"'`“”‘’「」"


def id_problem(model_id: str) -> tuple[str, str] | None:
    """(what is wrong, the cleaned id) for an id that is probably not copied exactly.

    The cleaned id has no quotes or spaces around it, and a "-" for each run of spaces
    inside it (``my model`` -> ``my-model``, the usual spelling of such ids)."""
    cleaned = model_id.strip().strip(_QUOTES).strip()
    problems = []
    if model_id != model_id.strip():
        problems.append("spaces around it")
    if model_id.strip() != model_id.strip().strip(_QUOTES):
        problems.append("quotes around it")
    if any(ch.isspace() for ch in cleaned):
        problems.append("a space inside it")
        cleaned = re.sub(r"\s+", "-", cleaned)
    if not problems:
        return None
    return " and ".join(problems), cleaned


class ModelsScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="models.back"),
        Binding("a", "add", "Add id", id="models.add"),
        Binding("d,delete", "remove", "Remove", id="models.remove"),
        Binding("f,ctrl+f", "fetch", "Fetch list", id="models.fetch"),
        Binding("enter", "default", "Default", id="models.default"),
        Binding("k", "kind", "Kind", id="models.kind"),
        Binding("w", "window", "Window", id="models.window"),
    ]

    def __init__(self, pid: str) -> None:
        super().__init__()
        self.pid = pid
        self._default_here: str | None = None

    @property
    def config(self):
        return cherry_app(self).config

    def compose(self) -> ComposeResult:
        p = self.config.provider(self.pid)
        yield Static(Text.assemble(("Models", "bold"), " · ", inert_line(p.name),
                                   f"  (id {inert_line(p.id)})", no_wrap=True,
                                   overflow="ellipsis"), classes="title-bar")
        with Horizontal(classes="row"):
            yield Label("Add id")
            yield Input(placeholder="paste the model id exactly, enter adds", compact=True,
                        id="model-id")
        yield Static("", id="models-count")
        yield OptionList(id="model-list")
        yield Static("", id="models-url", classes="note")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_list()
        p = self.config.provider(self.pid)
        # Typing goes to "Add id" first: ↓ reaches the list, where the letter keys act.
        self.query_one("#model-id").focus()
        try:
            url = p.resolved().models
        except addresses.AddressError as exc:
            url, note = None, f"address problem: {inert(str(exc))}"
        else:
            note = f"f fetches: GET {inert_line(url)}" if url else \
                "this exact address has no model-list URL: add ids by hand"
        self.query_one("#models-url", Static).update(Text(note, overflow="fold"))

    def refresh_list(self, keep: str | None = None) -> None:
        p = self.config.provider(self.pid)
        option_list = self.query_one("#model-list", OptionList)
        current = keep
        if current is None and option_list.highlighted is not None and option_list.option_count:
            current = option_list.get_option_at_index(option_list.highlighted).id
        default = self.config.default_model
        default_here = default.partition("/")[2] if default and \
            default.partition("/")[0] == p.id else None
        option_list.clear_options()
        self._default_here = default_here
        index = (p.models.index(current) if current in p.models else 0) if p.models else None
        for i, m in enumerate(p.models):
            option_list.add_option(Option(self._prompt(m, i == index), id=m))
        if index is not None:
            option_list.highlighted = index
        count = n_of(len(p.models), "model")
        if default:
            count += f" · default model: {inert_line(default)}"
        self.query_one("#models-count", Static).update(
            Text(count, no_wrap=True, overflow="ellipsis"))

    def _prompt(self, model: str, current: bool) -> Text:
        """``› ★ id (default)``: the cursor and the default read the same without colour."""
        text = Text("› " if current else "  ", no_wrap=True, overflow="ellipsis")
        default = model == self._default_here
        text.append("★ " if default else "  ", style="bold")
        text.append(inert_line(model))
        if default:
            text.append("  (default)", style="italic")
        p = self.config.provider(self.pid)
        text.append(f"  {p.kind_of(model)}" + (" (yours)" if model in dict(p.model_kinds)
                                                else ""), style="dim")
        window = self._window(model)
        if window is not None:
            text.append(f" · {short(window[0])} window"
                        + (" (yours)" if window[1] == "config" else ""), style="dim")
        return text

    def _window(self, model: str) -> tuple[int, str] | None:
        """The model's context window and where it came from (see core.context)."""
        p = self.config.provider(self.pid)
        listed = cherry_app(self).client.windows.get(self.pid)
        return context_window(model, dict(p.context_windows), listed)

    @on(OptionList.OptionHighlighted, "#model-list")
    def _moved(self) -> None:
        option_list = self.query_one("#model-list", OptionList)
        for i in range(option_list.option_count):
            model = option_list.get_option_at_index(i).id
            if model is not None:
                option_list.replace_option_prompt_at_index(
                    i, self._prompt(model, i == option_list.highlighted))

    def _current(self) -> str | None:
        option_list = self.query_one("#model-list", OptionList)
        if option_list.highlighted is None or not option_list.option_count:
            return None
        return option_list.get_option_at_index(option_list.highlighted).id

    def on_key(self, event) -> None:
        model_id = self.query_one("#model-id", Input)
        option_list = self.query_one("#model-list", OptionList)
        if self.focused is model_id and event.key == "down" and option_list.option_count:
            event.stop()
            option_list.focus()
        elif self.focused is option_list and event.key == "up" and option_list.highlighted == 0:
            event.stop()
            model_id.focus()
        elif (self.focused is option_list and event.is_printable and event.character
              and event.key not in self.active_bindings):
            event.stop()  # a letter that is no action key: the start of a model id
            model_id.focus()
            model_id.value = event.character
            model_id.cursor_position = 1

    # ------------------------------------------------------------------ add
    def action_add(self) -> None:
        self.query_one("#model-id", Input).focus()

    @on(Input.Submitted, "#model-id")
    def _submitted(self, event: Input.Submitted) -> None:
        raw = event.value
        if not raw.strip():
            self.query_one("#model-list").focus()
            return
        problem = id_problem(raw)
        if problem is None:
            self.add_ids([raw])
            return
        from .dialogs import ChoiceDialog

        what, cleaned = problem
        answers = [("k", raw, f"keep {raw!r} exactly as typed")]
        if cleaned and cleaned != raw:
            answers.insert(0, ("c", cleaned, f"save {cleaned!r} (cleaned)"))

        def done(value: str | None) -> None:
            if value is None:
                self.query_one("#model-id", Input).focus()
                return
            self.add_ids([value])

        self.app.push_screen(ChoiceDialog(
            "This model id looks pasted with extras",
            f"{raw!r} has {what}. Providers need the id copied exactly, without quotes or "
            "spaces.", answers), done)

    def add_ids(self, ids: list[str]) -> None:
        p = self.config.provider(self.pid)
        new = [m for m in ids if m not in p.models]
        if not new:
            self.notify("Already in the list.", timeout=2)
            return
        if commit(self.app, lambda: self.config.set_models(self.pid, [*p.models, *new]), "model"):
            self.query_one("#model-id", Input).value = ""
            self.refresh_list(keep=new[-1])
            self.notify(f"Added {', '.join(new)}", markup=False, timeout=2)

    # ------------------------------------------------------------------ remove, default
    def action_remove(self) -> None:
        model = self._current()
        if model is None:
            return
        before = list(self.config.provider(self.pid).models)
        if commit(self.app, lambda: self.config.remove_model(self.pid, model), "model list"):
            default = self.config.default_model
            if default == f"{self.pid}/{model}":
                commit(self.app, lambda: self.config.set_value("default_model", None),
                       "default model")
            # The cursor stays on the row that took the removed one's place (the next
            # model), or the new last row: pressing d again removes the next one.
            after = self.config.provider(self.pid).models
            index = before.index(model) if model in before else 0
            self.refresh_list(keep=after[min(index, len(after) - 1)] if after else None)
            self.notify(f"Removed {model} (a adds it back)", markup=False, timeout=3)

    @on(OptionList.OptionSelected, "#model-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_default()

    def action_default(self) -> None:
        model = self._current()
        if model is None:
            return
        ref = f"{self.pid}/{model}"
        if commit(self.app, lambda: self.config.set_value("default_model", ref), "default model"):
            self.refresh_list(keep=model)
            self.notify(f"Default model: {ref}", markup=False, timeout=2)

    def action_kind(self) -> None:
        """The highlighted model's kind, one step on (saved as model_kinds in config);
        back at the kind its id suggests, the saved entry goes."""
        model = self._current()
        if model is None:
            return
        from ...core.model_kinds import detect

        p = self.config.provider(self.pid)
        kind = KINDS[(KINDS.index(p.kind_of(model)) + 1) % len(KINDS)]
        save = None if kind == detect(model, p.type) else kind
        if commit(self.app, lambda: self.config.set_model_kind(self.pid, model, save),
                  "model kind"):
            self.refresh_list(keep=model)
            self.notify(f"{model}: {kind}", markup=False, timeout=2)

    def action_window(self) -> None:
        """Set the highlighted model's context window (saved as context_windows in
        config): what the chat's context bar measures against."""
        model = self._current()
        if model is None:
            return
        from .dialogs import PromptDialog

        now = self._window(model)
        said = f"now {short(now[0])} ({WINDOW_FROM[now[1]]})" if now else "unknown now"

        def done(text: str | None) -> None:
            if text is None:
                return
            forget = text.strip().lower() in ("-", "auto", "none")
            tokens = None if forget else parse_tokens(text)
            if tokens is None and not forget:
                self.notify(f"{text!r} is not a number of tokens: write it like 32768, "
                            "128k or 1M (auto forgets yours)", severity="warning",
                            markup=False)
                return
            if commit(self.app, lambda: self.config.set_context_window(self.pid, model, tokens),
                      "context window"):
                self.refresh_list(keep=model)
                found = self._window(model)
                self.notify(f"{model}: " + (f"{short(found[0])} tokens ({WINDOW_FROM[found[1]]})"
                                             if found else "window unknown"),
                            markup=False, timeout=3)

        self.app.push_screen(PromptDialog(
            f"Context window of {inert_line(model)}", "Tokens",
            f"{now[0]}" if now and now[1] == "config" else "",
            f"{said} · e.g. 32768, 128k, 1M · auto: forget yours · enter: OK · esc: cancel"),
            done)

    # ------------------------------------------------------------------ fetch
    def action_fetch(self) -> None:
        def done(ids: list[str] | None) -> None:
            if ids:
                self.add_ids(ids)

        from .models_fetch import FetchModelsScreen

        self.app.push_screen(FetchModelsScreen(self.pid), done)

    def action_back(self) -> None:
        model_id = self.query_one("#model-id", Input)
        if self.focused is model_id and model_id.value:
            model_id.value = ""
            self.query_one("#model-list").focus()
            return
        self.app.pop_screen()
