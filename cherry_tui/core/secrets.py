"""Where API keys live, and how they are shown.

A provider's key source (``key`` in its config table) is one of:

* ``keyring``   the OS keyring (service ``cherry-tui``, user = provider id);
* ``env:VAR``   the environment variable VAR, read when the key is needed;
* ``file``      the plain-text secrets file beside config.toml (mode 0600), only when
                the user chose it;
* unset         the keyring if it holds a key, else the built-in's usual variable
                (``DEEPSEEK_API_KEY`` ...). A provider's key never comes from another
                provider's variable.

When no keyring works, :class:`KeyringUnavailable` says so and names the
alternatives: nothing falls back to plain text silently. Keyring calls run in a
daemon thread with a timeout, because a locked collection can wait forever for a
desktop unlock prompt (a known trap over SSH).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import tomlkit

from .config import Provider, atomic_write_text
from .paths import secrets_path

SERVICE = "cherry-tui"
KEYRING_TIMEOUT = 5.0
T = TypeVar("T")

_SPLIT = re.compile(r"[,，\r\n]+")


class SecretsError(Exception):
    """A key could not be stored or read. The message says what to do instead."""


class KeyringUnavailable(SecretsError):
    pass


def alternatives(provider: Provider | None = None) -> str:
    var = (provider.env if provider and provider.env else None) or "MY_API_KEY"
    pid = provider.id if provider else "PROVIDER"
    return (
        f"use an environment variable instead (set key = \"env:{var}\" for the provider, "
        f"or run: cherry-tui key env {pid} {var}), or store it in the plain-text secrets "
        f"file, mode 0600 (cherry-tui key set {pid} --file)"
    )


def split_keys(text: str) -> list[str]:
    """Several keys separated by ``,``, ``，`` or newlines; blanks dropped."""
    return [k.strip() for k in _SPLIT.split(text or "") if k.strip()]


def mask(key: str) -> str:
    """``sk-1234567890abcd`` -> ``sk-1****abcd``; a short key shows nothing of itself."""
    key = key.strip()
    if len(key) <= 8:
        return "****"
    return f"{key[:4]}****{key[-4:]}"


# Prefixes that key formats share: what follows one is the key's secret part, which a
# server may echo on its own ("invalid api key: 0123...").
KEY_PREFIXES = ("sk-ant-api03-", "sk-ant-", "sk-proj-", "sk-or-v1-", "sk-", "AIza", "gsk_",
                "xai-", "hf_", "pk-", "ak-")
SCRUB_MIN = 12  # this many characters of a key in a row are a recognisable part of it
_WINDOW, _STRIDE = 8, 5  # every run of SCRUB_MIN characters holds one aligned window


def scrub(text: str, keys: Sequence[str]) -> str:
    """Replace every recognisable part of a key in ``text`` by the key's masked form.

    Recognisable: the whole key, the key without a known prefix (``sk-``, ``sk-ant-``,
    ``AIza`` ...), and any run of :data:`SCRUB_MIN` or more characters of the key.
    Linear in ``text``: a few ``str.find`` scans per key.
    """
    spans: list[tuple[int, int, str]] = []
    for key in {k.strip() for k in keys if k and k.strip()}:
        spans.extend(_key_spans(text, key))
    if not spans:
        return text
    spans.sort()
    out, pos = [], 0
    for start, end, key in spans:
        if end <= pos:
            continue
        if start < pos:
            start = pos
        else:
            out.append(text[pos:start])
            out.append(mask(key))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _key_spans(text: str, key: str) -> list[tuple[int, int, str]]:
    spans = []
    exact = {key}
    for prefix in KEY_PREFIXES:
        if key.startswith(prefix) and len(key) - len(prefix) >= 8:
            exact.add(key[len(prefix):])
            break
    for frag in exact:
        i = text.find(frag)
        while i >= 0:
            spans.append((i, i + len(frag), key))
            i = text.find(frag, i + 1)
    if len(key) < SCRUB_MIN:
        return spans
    for j in range(0, len(key) - _WINDOW + 1, _STRIDE):
        window = key[j:j + _WINDOW]
        i = text.find(window)
        while i >= 0:
            left = 0
            while i - left > 0 and j - left > 0 and text[i - left - 1] == key[j - left - 1]:
                left += 1
            right = _WINDOW
            while i + right < len(text) and j + right < len(key) and \
                    text[i + right] == key[j + right]:
                right += 1
            if left + right >= SCRUB_MIN:
                spans.append((i - left, i + right, key))
            i = text.find(window, i + 1)
    return spans


def held_tail(text: str, keys: Sequence[str]) -> int:
    """How many characters at the end of ``text`` could be the start of a key part.

    A stream scrubber keeps these back until the next piece arrives, so a key split
    across two reads is still masked. Runs shorter than 4 characters are let through.
    """
    best = 0
    for key in keys:
        if len(text) < 4 or text[-4:] not in key:
            continue
        n = 4
        while n < len(text) and n < len(key) and text[-(n + 1):] in key:
            n += 1
        best = max(best, n)
    return best


# ---------------------------------------------------------------------------- keyring
_hung: str | None = None  # set once a keyring call hung: later calls fail at once


def _call(fn: Callable[[], T], timeout: float) -> T:
    """Run a keyring call in a daemon thread; a hang becomes KeyringUnavailable.

    After one hang the keyring is treated as unavailable for the rest of the process, so
    a list of twenty providers does not wait twenty times for a prompt nobody sees.
    """
    global _hung
    if _hung:
        raise KeyringUnavailable(_hung)
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=run, name="cherry-tui-keyring", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        _hung = (f"the keyring ({backend_name()}) did not answer within {timeout:g} s: its "
                 "collection is probably locked and waiting for a desktop unlock prompt")
        raise KeyringUnavailable(_hung)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _keyring():
    import keyring

    return keyring


def backend_name() -> str:
    """A readable name of the active keyring backend."""
    try:
        kr = _keyring().get_keyring()
    except Exception as exc:  # noqa: BLE001
        return f"none ({type(exc).__name__})"
    cls = type(kr)
    name = getattr(kr, "name", None) or f"{cls.__module__}.{cls.__name__}"
    if cls.__module__.startswith("keyring.backends.fail"):
        return "none"
    return str(name)


def _backend():
    """The active backend, refusing the ones that are no keyring at all."""
    kr = _keyring().get_keyring()
    mod = type(kr).__module__
    if mod.startswith("keyring.backends.fail") or mod.startswith("keyring.backends.null"):
        raise KeyringUnavailable("no OS keyring is available (no Secret Service on D-Bus; "
                                 "usual over SSH)")
    if mod.startswith("keyrings.alt"):
        raise KeyringUnavailable(f"the keyring backend {mod} stores keys in plain text "
                                 "without saying so; cherry-tui will not use it")
    return kr


def _wrap(provider_id: str, fn: Callable[[object], T], timeout: float) -> T:
    from keyring.errors import KeyringError, KeyringLocked, NoKeyringError

    try:
        return _call(lambda: fn(_backend()), timeout)
    except KeyringUnavailable:
        raise
    except NoKeyringError:
        raise KeyringUnavailable("no OS keyring is available (no Secret Service on D-Bus; "
                                 "usual over SSH)") from None
    except KeyringLocked:
        raise KeyringUnavailable(f"the keyring ({backend_name()}) is locked: unlock it "
                                 "first") from None
    except KeyringError as exc:
        raise KeyringUnavailable(f"the keyring ({backend_name()}) failed: "
                                 f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - e.g. secretstorage / D-Bus errors
        raise KeyringUnavailable(f"the keyring ({backend_name()}) failed: "
                                 f"{type(exc).__name__}") from None


def keyring_get(provider_id: str, timeout: float = KEYRING_TIMEOUT) -> str | None:
    return _wrap(provider_id, lambda kr: kr.get_password(SERVICE, provider_id), timeout)


def keyring_set(provider_id: str, secret: str, timeout: float = KEYRING_TIMEOUT) -> None:
    _wrap(provider_id, lambda kr: kr.set_password(SERVICE, provider_id, secret), timeout)


def keyring_delete(provider_id: str, timeout: float = KEYRING_TIMEOUT) -> bool:
    """Delete the stored key; False when there was none."""
    from keyring.errors import PasswordDeleteError

    def delete(kr) -> bool:
        try:
            kr.delete_password(SERVICE, provider_id)
        except PasswordDeleteError:
            return False
        return True

    return _wrap(provider_id, delete, timeout)


def keyring_available(timeout: float = KEYRING_TIMEOUT) -> tuple[bool, str]:
    """(works, detail): a real read, so a locked or absent keyring shows up."""
    try:
        keyring_get("__cherry-tui-probe__", timeout)
    except KeyringUnavailable as exc:
        return False, str(exc)
    return True, backend_name()


# ---------------------------------------------------------------------------- file
class SecretsFile:
    """The plain-text secrets file, used only for providers whose key = "file"."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def beside(cls, config_path: Path) -> SecretsFile:
        return cls(secrets_path(config_path))

    def _load(self) -> tomlkit.TOMLDocument:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return tomlkit.document()
        try:
            return tomlkit.parse(text)
        except Exception as exc:  # noqa: BLE001
            line = getattr(exc, "line", "?")
            raise SecretsError(f"{self.path} does not parse (line {line}): fix or remove it") \
                from None

    def get(self, provider_id: str) -> str | None:
        keys = self._load().get("keys", {})
        val = keys.get(provider_id)
        return str(val) if isinstance(val, str) else None

    def set(self, provider_id: str, secret: str) -> None:
        doc = self._load()
        if "keys" not in doc:
            doc.add(tomlkit.comment("Plain-text API keys, chosen by the user. Keep this file 0600."))
            doc["keys"] = tomlkit.table()
        doc["keys"][provider_id] = secret
        atomic_write_text(self.path, tomlkit.dumps(doc))
        os.chmod(self.path, 0o600)

    def delete(self, provider_id: str) -> bool:
        doc = self._load()
        keys = doc.get("keys")
        if not keys or provider_id not in keys:
            return False
        del keys[provider_id]
        atomic_write_text(self.path, tomlkit.dumps(doc))
        os.chmod(self.path, 0o600)
        return True


# ---------------------------------------------------------------------------- lookup
@dataclass(frozen=True)
class KeyInfo:
    """Where a provider's key comes from, and the keys (never printed unmasked)."""

    source: str  # "keyring", "env:VAR", "file", "missing", "not needed"
    keys: tuple[str, ...] = ()
    problem: str | None = None  # e.g. keyring unavailable

    @property
    def present(self) -> bool:
        return bool(self.keys)

    @property
    def status(self) -> str:
        """Short status for lists: keyring / env:VAR / file / missing (with a reason)."""
        if self.present or self.source == "not needed":
            return self.source
        if self.source.startswith("env:"):
            return f"missing ({self.source[4:]} unset)"
        if self.problem:
            return "missing (no keyring)" if self.source == "keyring" else "missing"
        return "missing" if self.source in ("missing",) else f"missing ({self.source})"

    @property
    def masked(self) -> str:
        return ", ".join(mask(k) for k in self.keys)


def key_info(provider: Provider, config_path: Path, env: Mapping[str, str] | None = None,
             timeout: float = KEYRING_TIMEOUT) -> KeyInfo:
    """Find a provider's keys from its chosen source (keyring calls may block: not on a UI thread)."""
    env = os.environ if env is None else env
    source = provider.key
    if source and source.startswith("env:"):
        return KeyInfo(source, tuple(split_keys(env.get(source[4:], ""))))
    if source == "file":
        try:
            return KeyInfo("file", tuple(split_keys(SecretsFile.beside(config_path).get(provider.id) or "")))
        except SecretsError as exc:
            return KeyInfo("file", (), str(exc))
    problem = None
    try:
        stored = keyring_get(provider.id, timeout)
    except KeyringUnavailable as exc:
        stored, problem = None, str(exc)
    if stored:
        return KeyInfo("keyring", tuple(split_keys(stored)))
    if source == "keyring":
        return KeyInfo("keyring", (), problem)
    if provider.env and env.get(provider.env):
        return KeyInfo(f"env:{provider.env}", tuple(split_keys(env[provider.env])))
    if not provider.needs_key:
        return KeyInfo("not needed")
    return KeyInfo("missing", (), problem)


class KeyPool:
    """A provider's keys, used in turn (round robin)."""

    def __init__(self, keys: list[str] | tuple[str, ...]):
        self.keys = list(keys)
        self._next = 0

    def __bool__(self) -> bool:
        return bool(self.keys)

    def next(self) -> str | None:
        if not self.keys:
            return None
        key = self.keys[self._next % len(self.keys)]
        self._next += 1
        return key
