"""The provider editor: name, type, on/off, API key, address with a live URL preview.

Saving: a committed edit is saved at once. Text fields commit on enter; the type and
on/off choices commit when changed. escape leaves and discards what was not committed
(or, while a check runs, cancels the check).

The key: "Key from" chooses keyring, env (a variable name, not secret) or file (the
plain-text secrets file, 0600). Without a keyring (usual over SSH) the editor says so
and offers env and file. The key field is masked; ctrl+r reveals it.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider as CommandProvider
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker

from ...core import addresses, secrets
from ...core.config import Provider
from ...core.doctor import check_model
from ...core.model_kinds import CHAT_KINDS
from ...core.text import inert, inert_line
from ..access import cherry_app
from ..widgets.choice import Choice
from ..widgets.preview import AddressPreview
from ..widgets.keybar import KeyBar
from .common import check_line, commit, load_key_info
from .doctor import offer_address_fixes

_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def suggested_var(p: Provider) -> str:
    return p.env or (re.sub(r"[^A-Za-z0-9]+", "_", p.id).strip("_").upper() + "_API_KEY")


def _slot(mode: str) -> str:
    """The draft a key source edits: keyring and file share the typed key (switching
    between them carries it over, never drops it); env has its variable name."""
    return "env" if mode == "env" else "secret"


class EditorCommands(CommandProvider):
    """Command palette entries for the editor's actions."""

    async def search(self, query: str) -> Hits:
        screen = self.screen
        if not isinstance(screen, EditorScreen):
            return
        matcher = self.matcher(query)
        items = [
            ("Check the provider (real request)", screen.action_check),
            ("Models: add, remove, fetch, default", screen.action_models),
            ("Reveal / hide the API key", screen.action_reveal),
            ("Copy the key page URL", screen.action_copy_key_url),
        ]
        if screen.provider.builtin:
            items.append(("Reset the address to the default", screen.action_reset_address))
        for title, callback in items:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback)


class EditorScreen(Screen):
    COMMANDS = {EditorCommands}

    BINDINGS = [
        Binding("escape", "back", "Back", id="editor.back"),
        Binding("ctrl+g,f5", "check", "Check", id="editor.check"),
        Binding("ctrl+o,f6", "check_model", "Check model", id="editor.check_model"),
        Binding("ctrl+l,f4", "models", "Models", id="editor.models"),
        Binding("ctrl+r", "reveal", "Reveal key", id="editor.reveal"),
        Binding("ctrl+y", "copy_key_url", "Copy key page", id="editor.copy_key_url"),
        Binding("ctrl+f", "reset_address", "Default address", id="editor.reset_address"),
        # Priority: focus moves when the key is read, so keys typed right after it (a
        # burst over a laggy SSH link) land in the next field, not the one being left.
        Binding("down", "app.focus_next", "Next field", show=False, id="editor.next",
                priority=True),
        Binding("up", "app.focus_previous", "Previous field", show=False, id="editor.previous",
                priority=True),
    ]

    def __init__(self, pid: str) -> None:
        super().__init__()
        self.pid = pid
        self.key_info: secrets.KeyInfo | None = None
        self.keyring_ok: bool | None = None
        self.keyring_detail = ""
        self._drafts: dict[str, str] = {}
        self._committed_key: tuple[str, str] = ("keyring", "")
        self._check_worker: Worker[None] | None = None
        self._key_touched = False
        self._check_choice: str | None = None  # the model ctrl+o chose for the check

    @property
    def config(self):
        return cherry_app(self).config

    @property
    def provider(self) -> Provider:
        return self.config.provider(self.pid)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        p = self.provider
        yield Static(self._title(p), id="title", classes="title-bar")
        with VerticalScroll(id="form", can_focus=False):
            with Horizontal(classes="row"):
                yield Label("Name")
                yield Input(inert_line(p.name), compact=True, id="name")
            with Horizontal(classes="row"):
                yield Label("Type")
                yield Choice([(t, t) for t in addresses.PROVIDER_TYPES], p.type, id="type")
            with Horizontal(classes="row"):
                yield Label("On/off")
                yield Choice([("on", "on"), ("off", "off")], "on" if p.enabled else "off",
                             id="enabled")
            with Horizontal(classes="row"):
                yield Label("Key from")
                yield Choice([("keyring", "keyring"), ("env", "env variable"),
                              ("file", "plain-text file")], self._initial_source(p),
                             id="source")
            with Horizontal(classes="row"):
                yield Label("API key", id="key-label")
                yield Input("", compact=True, password=True, id="key",
                            placeholder="checking where the key is stored…")
            yield Static(Text("…"), id="key-note", classes="note")
            if p.key_url:
                with Horizontal(classes="row static"):
                    yield Label("Key page")
                    yield Static(Text(inert_line(p.key_url), overflow="fold"), id="key-url",
                                 classes="value")
            with Horizontal(classes="row"):
                yield Label("Address")
                yield Input(inert_line(p.address), compact=True, id="address",
                            placeholder="e.g. https://api.example.com or http://127.0.0.1:3000")
            yield AddressPreview(p.address, p.type, id="preview")
            if p.builtin:
                yield Static("", id="address-note", classes="note")
            with Horizontal(classes="row static"):
                yield Label("Models")
                yield Static("", id="models", classes="value oneline")
            with Horizontal(classes="row static"):
                yield Label("Check")
                yield Static(Text("not checked yet (ctrl+g sends one real request)"),
                             id="check", classes="value")
        yield Static("", id="status")
        yield KeyBar()

    def _title(self, p: Provider) -> Text:
        kind = "built-in" if p.builtin else "custom"
        return Text.assemble(("Edit provider", "bold"), " · ", inert_line(p.name),
                             f"  ({kind}, id {inert_line(p.id)})", no_wrap=True,
                             overflow="ellipsis")

    def _initial_source(self, p: Provider) -> str:
        if p.key and p.key.startswith("env:"):
            return "env"
        if p.key == "file":
            return "file"
        return "keyring"

    def on_mount(self) -> None:
        p = self.provider
        src = self._initial_source(p)
        env_var = (p.key or "")[4:] if src == "env" else suggested_var(p)
        self._drafts = {"secret": "", "env": env_var}
        self._committed_key = (src, self._drafts[_slot(src)])
        self._set_key_mode(src)
        self._refresh_address_note()
        self._refresh_models()
        self.query_one("#key", Input).focus()
        self.load_key()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self._refresh_models()
            self._refresh_key_note()  # a chat meanwhile may have skipped a key

    def check_action(self, action: str, parameters) -> bool | None:
        """Hide keys that do nothing for this provider (no key page, not a built-in)."""
        if action == "copy_key_url" and not self.provider.key_url:
            return False
        if action == "reset_address" and not self.provider.builtin:
            return False
        return True

    # ------------------------------------------------------------------ dirty state
    def _unsaved(self) -> list[str]:
        p = self.provider
        dirty = []
        if self.query_one("#name", Input).value != inert_line(p.name):
            dirty.append("name")
        if self.query_one("#address", Input).value != inert_line(p.address):
            dirty.append("address")
        mode = self.query_one("#source", Choice).value
        value = self.query_one("#key", Input).value
        if (mode, value) != self._committed_key:
            dirty.append("key variable" if mode == "env" else "API key")
        return dirty

    def quit_blockers(self) -> list[str]:
        """What quitting the app now would lose (see CherryApp.action_quit)."""
        name = inert_line(self.provider.name)
        return [f"{what} typed in the {name} editor, not saved" for what in self._unsaved()]

    def _refresh_status(self) -> None:
        dirty = self._unsaved()
        status = self.query_one("#status", Static)
        if dirty:
            status.update(Text.assemble(("● not saved: ", "bold"), ", ".join(dirty),
                                        " - enter saves, esc discards",
                                        no_wrap=True, overflow="ellipsis"))
        elif self.config.read_only:
            status.update(Text("config.toml did not load: changes are not saved",
                               no_wrap=True, overflow="ellipsis"))
        else:
            status.update(Text("All changes saved.", no_wrap=True, overflow="ellipsis"))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id == "address":
            self.query_one(AddressPreview).show(event.value, self.query_one("#type", Choice).value)
            self._refresh_address_note()
        elif event.input.id == "key":
            self._key_touched = True
            self._drafts[_slot(self.query_one("#source", Choice).value)] = event.value
        self._refresh_status()

    # ------------------------------------------------------------------ name, type, on/off
    @on(Input.Submitted, "#name")
    def _commit_name(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:
            self.notify("A provider needs a name.", severity="warning")
            return
        if name != inert_line(self.provider.name) and commit(
                self.app, lambda: self.config.rename_provider(self.pid, name), "name"):
            self.notify(f"Saved name: {name}", markup=False, timeout=2)
        self.query_one("#name", Input).value = inert_line(self.provider.name)
        self.query_one("#title", Static).update(self._title(self.provider))
        self._refresh_status()

    @on(Choice.Changed, "#type")
    def _commit_type(self, event: Choice.Changed) -> None:
        if event.value == self.provider.type:
            return
        commit(self.app, lambda: self.config.set_provider_field(self.pid, "type", event.value),
               "type")
        p = self.provider
        event.choice.set_value(p.type)
        self.query_one(AddressPreview).show(self.query_one("#address", Input).value, p.type)

    @on(Choice.Changed, "#enabled")
    def _commit_enabled(self, event: Choice.Changed) -> None:
        on_ = event.value == "on"
        if on_ == self.provider.enabled:
            return
        if commit(self.app, lambda: self.config.set_enabled(self.pid, on_), "switch"):
            self.notify(f"{self.provider.name} is {'on' if on_ else 'off'}", markup=False,
                        timeout=2)
        event.choice.set_value("on" if self.provider.enabled else "off")

    # ------------------------------------------------------------------ address
    @on(Input.Submitted, "#address")
    def _commit_address(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        preview = self.query_one(AddressPreview)
        preview.show(event.value)
        if preview.error:
            self.notify(f"Not saved: {preview.error}", title="Address", severity="error",
                        markup=False)
            return
        if value != inert_line(self.provider.address):
            p = self.provider
            new = None if (p.builtin and value == p.default_address) else value
            if commit(self.app, lambda: self.config.set_provider_field(self.pid, "address", new),
                      "address"):
                self.notify("Saved address", timeout=2)
        self.query_one("#address", Input).value = inert_line(self.provider.address)
        self._refresh_address_note()
        self._refresh_status()

    def action_reset_address(self) -> None:
        p = self.provider
        if not p.builtin:
            self.notify("Only a built-in provider has a default address.", severity="warning")
            return
        if p.address != p.default_address:
            commit(self.app, lambda: self.config.set_provider_field(self.pid, "address", None),
                   "address")
        address = self.provider.address
        self.query_one("#address", Input).value = address
        self.query_one(AddressPreview).show(address)
        self._refresh_address_note()
        self._refresh_status()

    def _refresh_address_note(self) -> None:
        p = self.provider
        if not p.builtin:
            return
        note = self.query_one("#address-note", Static)
        if self.query_one("#address", Input).value.strip() == p.default_address:
            note.update(Text("the default address", no_wrap=True, overflow="ellipsis"))
        else:
            note.update(Text.assemble(f"default: {p.default_address}", "  (ctrl+f resets)",
                                      overflow="fold"))

    # ------------------------------------------------------------------ models
    def _refresh_models(self) -> None:
        p = self.provider
        default = self.config.default_model
        default_here = default.partition("/")[2] if default and default.partition("/")[0] == p.id \
            else None
        text = Text(no_wrap=True, overflow="ellipsis")
        if not p.models:
            text.append("none yet - ctrl+l adds ids or fetches the server's list")
        else:
            text.append(f"{len(p.models)}: ")
            text.append(", ".join(inert_line(("★ " + m) if m == default_here else m)
                                  for m in p.models))
        self.query_one("#models", Static).update(text)
        preview = self.query_one(AddressPreview)  # the URL may hold the model (Gemini, Azure)
        preview.model, preview.api_version = self._check_model(p), p.api_version
        preview.show(self.query_one("#address", Input).value)

    def action_models(self) -> None:
        from .models import ModelsScreen

        self.app.push_screen(ModelsScreen(self.pid))

    # ------------------------------------------------------------------ key
    @work(exclusive=True, group="key-info")
    async def load_key(self) -> None:
        if self.keyring_ok is None:
            ok, detail = await asyncio.to_thread(secrets.keyring_available)
            self.keyring_ok, self.keyring_detail = ok, detail
            source = self.query_one("#source", Choice)
            if not ok:
                source.disabled_values = {"keyring"}
                source.refresh()
        p = self.provider
        info = await load_key_info(p, self.config.path, None if self.keyring_ok else 0.5)
        self.key_info = info
        src = self._initial_source(p)
        env_var = (p.key or "")[4:] if src == "env" else suggested_var(p)
        if p.key is None and info.source.startswith("env:"):
            src, env_var = "env", info.source[4:]
        elif p.key is None and not info.present and not self.keyring_ok:
            # No keyring here: start on a source that works. The usual variable when
            # the provider has one (or the suggested one is set), else the secrets file;
            # the key note says how to pick the other.
            src = "env" if p.env or os.environ.get(env_var) else "file"
        stored = ",".join(info.keys) if info.present and info.source in ("keyring", "file") \
            else ""
        self._committed_key = (src, env_var if src == "env" else stored)
        key_input = self.query_one("#key", Input)
        source = self.query_one("#source", Choice)
        if not self._key_touched:  # what the user typed meanwhile stays, and its source
            self._drafts = {"secret": stored, "env": env_var}
            source.set_value(src)
            self._set_key_mode(src)
        key_input.placeholder = ""
        self._refresh_key_note()
        self._refresh_status()

    def _set_key_mode(self, mode: str) -> None:
        key_input = self.query_one("#key", Input)
        label = self.query_one("#key-label", Label)
        with key_input.prevent(Input.Changed):
            key_input.password = mode != "env"
            key_input.value = self._drafts[_slot(mode)]
        label.update("Variable" if mode == "env" else "API key")
        if mode == "env":
            key_input.placeholder = "variable name, e.g. ARK_API_KEY"
        else:
            key_input.placeholder = "paste the key (several: separate with commas)"

    @on(Choice.Changed, "#source")
    def _source_changed(self, event: Choice.Changed) -> None:
        self._set_key_mode(event.value)
        self._refresh_key_note()
        self._refresh_status()

    def _refresh_key_note(self) -> None:
        note = self.query_one("#key-note", Static)
        p = self.provider
        mode = self.query_one("#source", Choice).value
        info = self.key_info
        committed = self._committed_key[0] == mode
        lines: list[str] = []
        if not p.needs_key:
            lines.append("this provider usually needs no key")
        if mode == "keyring":
            if self.keyring_ok is False:
                lines.append(f"No keyring here ({self.keyring_detail}). Choose env variable or "
                             "plain-text file with ←→ on Key from, then enter.")
            elif committed and info and info.present and info.source == "keyring":
                lines.append(f"stored in the keyring ({self.keyring_detail}): {info.masked}   "
                             "ctrl+r reveals")
            else:
                lines.append(f"keyring ({self.keyring_detail or '…'}): type the key, "
                             "enter stores it")
        elif mode == "env":
            var = self.query_one("#key", Input).value.strip() or suggested_var(p)
            prefix = "No keyring here; " if self.keyring_ok is False else ""
            if info and info.source == f"env:{var}" and info.present:
                lines.append(f"{prefix}${var} is set: {info.masked}")
            else:
                lines.append(f"{prefix}${var} is not set: export {var}=... before starting "
                             "cherry-tui, or choose plain-text file")
            if not committed:
                lines[-1] += " (enter saves this choice)"
            if self._drafts.get("secret") and self._key_touched:
                lines.append("The key you typed is kept: choose plain-text file (or keyring) "
                             "to store it.")
        else:
            where = "secrets.toml beside config.toml (plain text, mode 0600)"
            if committed and info and info.present and info.source == "file":
                lines.append(f"stored in {where}: {info.masked}   ctrl+r reveals")
            elif self.keyring_ok is False:
                lines.append(f"No keyring here: type the key; enter stores it in {where}. "
                             "Or choose env variable (←→ on Key from).")
            else:
                lines.append(f"type the key; enter stores it in {where}")
        if p.key and p.key.startswith("cmd:") and info is not None:
            got = info.masked if info.present else (info.problem or "no key")
            lines = [f"from the command `{inert_line(p.key[4:])}`: {got}"]
        if info is not None and len(info.keys) > 1:  # used in turn; failed ones are skipped
            states = cherry_app(self).client.key_states(p.id, info.keys)
            lines.append("keys this run: " + (" · ".join(s.describe() for s in states)
                                              if states else "not used yet (ctrl+g checks each)"))
        note.update(Text("\n".join(lines), overflow="fold"))

    @on(Input.Submitted, "#key")
    def _commit_key_input(self) -> None:
        self.save_key()

    def save_key(self) -> None:
        mode = self.query_one("#source", Choice).value
        value = self.query_one("#key", Input).value.strip()
        p = self.provider
        if mode == "env":
            if not _VAR.match(value):
                self.notify(f"{value!r} is not a variable name (e.g. {suggested_var(p)})",
                            severity="error", markup=False)
                return
            if commit(self.app,
                      lambda: self.config.set_provider_field(self.pid, "key", f"env:{value}"),
                      "key source"):
                self.notify(f"Saved: the key is read from ${value}", markup=False, timeout=3)
                self._after_key_saved()
            return
        keys = secrets.split_keys(value)
        if not keys:
            self.notify("Type or paste the key first.", severity="warning")
            return
        if mode == "keyring" and self.keyring_ok is False:
            self._ask_where()
            return
        self._store_secret(mode, ",".join(keys))

    def _ask_where(self) -> None:
        """No keyring: ask where the typed key goes; it stays in the field meanwhile."""
        from .dialogs import ChoiceDialog

        var = self._drafts["env"] or suggested_var(self.provider)

        def done(answer: str | None) -> None:
            if answer is None:
                return
            self.query_one("#source", Choice).set_value(answer, notify=True)
            if answer == "file":
                self.call_after_refresh(self.save_key)

        self.app.push_screen(ChoiceDialog(
            "No keyring here: where should the key go?",
            f"{self.keyring_detail[:1].upper()}{self.keyring_detail[1:]}. Nothing is stored "
            "until you choose.",
            [("f", "file", "store it in secrets.toml (plain text, mode 0600)"),
             ("e", "env", f"read it from ${var} instead (the typed key stays here)")]), done)

    @work(exclusive=True, group="store-key")
    async def _store_secret(self, mode: str, value: str) -> None:
        p = self.provider
        path = self.config.path
        try:
            if mode == "file":
                await asyncio.to_thread(secrets.SecretsFile.beside(path).set, p.id, value)
            else:
                await asyncio.to_thread(secrets.keyring_set, p.id, value)
        except secrets.SecretsError as exc:
            extra = f" Instead, {secrets.alternatives(p)}" if mode == "keyring" else ""
            self.notify(f"{exc}. Nothing was stored.{extra}", title="Key not stored",
                        severity="error", markup=False, timeout=10)
            return
        except OSError as exc:
            self.notify(f"Could not write the secrets file: {exc.strerror}",
                        title="Key not stored", severity="error", markup=False)
            return
        want = "file" if mode == "file" else None
        if p.key != want and not (want is None and p.key == "keyring"):
            if not commit(self.app, lambda: self.config.set_provider_field(self.pid, "key", want),
                          "key source"):
                return
        where = "the secrets file" if mode == "file" else "the keyring"
        masked = ", ".join(secrets.mask(k) for k in value.split(","))
        self.notify(f"Key stored in {where}: {masked}",
                    markup=False, timeout=3)
        self._after_key_saved()

    def _after_key_saved(self) -> None:
        self.key_info = None
        self._key_touched = False
        self.load_key()

    def action_reveal(self) -> None:
        key_input = self.query_one("#key", Input)
        if self.query_one("#source", Choice).value == "env":
            self.notify("The variable name is not secret; the key itself stays in the "
                        "environment.", timeout=3)
            return
        key_input.password = not key_input.password

    def action_copy_key_url(self) -> None:
        url = self.provider.key_url
        if not url:
            self.notify("This provider has no key page on record.", severity="warning")
            return
        self.app.copy_to_clipboard(url)
        self.notify(f"Copied to the clipboard: {url}", markup=False, timeout=3)

    # ------------------------------------------------------------------ check
    def _provider_on_screen(self) -> Provider:
        p = self.provider
        return replace(p, address=self.query_one("#address", Input).value.strip(),
                       type=self.query_one("#type", Choice).value)

    def action_check(self) -> None:
        p = self._provider_on_screen()
        check = self.query_one("#check", Static)
        try:
            url = p.resolved(self._check_model(p)).whole  # a check asks for one whole answer
        except addresses.AddressError as exc:
            check.update(Text(f"✗ {exc}", overflow="fold"))
            return
        check.update(Text(f"checking POST {url} … (esc cancels)", overflow="fold"))
        self._check_worker = self.run_worker(self._run_check(p), exclusive=True, group="check")

    def _check_model(self, p: Provider) -> str | None:
        if self._check_choice in p.models:
            return self._check_choice
        return check_model(p, self.config.default_model)

    def action_check_model(self) -> None:
        """The next chat model for the check to ask (it starts at the provider's default
        chat model, see :func:`check_model`); each press moves on, round the list."""
        p = self.provider
        models = [m for m in p.models if p.kind_of(m) in CHAT_KINDS]
        if not models:
            self.notify("No chat models yet: ctrl+l adds them.", severity="warning")
            return
        current = self._check_model(p)
        at = models.index(current) if current in models else -1
        model = models[(at + 1) % len(models)]
        self._check_choice = model
        self.query_one("#check", Static).update(Text(
            f"the check asks {inert_line(model)} ({p.kind_of(model)}): ctrl+g checks, "
            "ctrl+o the next model", overflow="fold"))

    async def _run_check(self, p: Provider) -> None:
        check = self.query_one("#check", Static)
        try:
            info = await load_key_info(p, self.config.path, None if self.keyring_ok else 0.5)
            if p.needs_key and not info.present:
                check.update(Text(f"✗ no API key yet ({info.status}): type one above, enter "
                                  "saves it", overflow="fold"))
                return
            client = cherry_app(self).client
            if len(info.keys) > 1:  # several keys: each alone, with its latency
                results = [await client.check(p, [key], self._check_model(p))
                           for key in info.keys]
                result = next((r for r in results if r.ok), results[0])
            else:
                result = await client.check(p, list(info.keys), self._check_model(p))
        except asyncio.CancelledError:
            check.update(Text("check cancelled"))
            raise
        except Exception as exc:  # noqa: BLE001 - shown, never raised at the user
            message = secrets.scrub(str(exc), list(info.keys) if "info" in locals() else [])
            check.update(Text(f"✗ {inert(message)}", overflow="fold"))
            return
        if len(info.keys) > 1:
            check.update(Text("\n").join(
                Text.assemble(f"key {n} {secrets.mask(key)}: ", check_line(r))
                for n, (key, r) in enumerate(zip(info.keys, results, strict=True), 1)))
        else:
            check.update(check_line(result))
        await offer_address_fixes(self, p, list(info.keys), result)

    @property
    def checking(self) -> bool:
        worker = self._check_worker
        return worker is not None and worker.is_running

    # ------------------------------------------------------------------ leaving
    def action_back(self) -> None:
        if self._check_worker is not None and self._check_worker.is_running:
            self._check_worker.cancel()
            self.query_one("#check", Static).update(Text("check cancelled"))
            return
        dirty = self._unsaved()
        if dirty:
            self.notify(f"Not saved: {', '.join(dirty)}", timeout=3)
        self.app.pop_screen()
