"""Where API keys live, and how they are shown.

A provider's key source (``key`` in its config table) is one of:

* ``keyring``   the OS keyring (service ``cherry-tui``, user = provider id);
* ``env:VAR``   the environment variable VAR, read when the key is needed;
* ``file``      the plain-text secrets file beside config.toml (mode 0600), only when
                the user chose it;
* ``cmd:COMMAND`` the output of a command (``pass show api/deepseek``, ``op read ...``,
                ``secret-tool lookup ...``, ``security find-generic-password -w ...``): see
                :func:`run_key_command`;
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
import shlex
import signal
import stat
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import tomlkit

from . import files
from .config import Provider
from .paths import secrets_path

if TYPE_CHECKING:  # keyring itself is imported on first use (start-up time)
    from keyring.backend import KeyringBackend

SERVICE = "cherry-tui"
KEYRING_TIMEOUT = 5.0
T = TypeVar("T")

_SPLIT = re.compile(r"[,，\r\n]+")


class SecretsError(Exception):
    """A key could not be stored or read. The message says what to do instead."""


class KeyringUnavailable(SecretsError):
    pass


class BadKeyText(SecretsError):
    """A key that cannot be sent in a header (see :func:`check_key_text`); not stored."""


def alternatives(provider: Provider | None = None) -> str:
    """What to do when the keyring cannot hold a key; reads well after "Instead, "."""
    var = (provider.env if provider and provider.env else None) or "MY_API_KEY"
    pid = provider.id if provider else "PROVIDER"
    return (
        f"use an environment variable (set key = \"env:{var}\" for the provider, "
        f"or run: cherry-tui key env {pid} {var}), or store it in the plain-text secrets "
        f"file, mode 0600 (cherry-tui key set {pid} --file)"
    )


def check_key_text(key: str) -> str | None:
    """Why ``key`` cannot be sent in an HTTP header, or None when it can.

    An API key is printable ASCII without spaces. A zero-width space or a non-breaking
    space pasted with it would otherwise fail deep in the HTTP library (UnicodeEncodeError)
    or be sent as a wrong key. The message names the position, never the key itself.
    """
    for pos, ch in enumerate(key, 1):
        if "!" <= ch <= "~":
            continue
        name = unicodedata.name(ch, "")
        what = f"U+{ord(ch):04X}" + (f" {name}" if name else "")
        category = unicodedata.category(ch)
        if category == "Zs":
            kind = "a space"
        elif category in ("Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"):
            kind = "an invisible character"
        else:
            kind = "a non-ASCII character"
        return (f"character {pos} of the key is {kind} ({what}), which an API key cannot "
                "contain (often copied along with it): paste or type the key again without it")
    return None


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
    values: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            values.append(fn())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=run, name="cherry-tui-keyring", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        _hung = (f"the keyring ({backend_name()}) did not answer within {timeout:g} s: its "
                 "collection is probably locked and waiting for a desktop unlock prompt")
        raise KeyringUnavailable(_hung)
    if errors:
        raise errors[0]
    return values[0]


def _keyring() -> ModuleType:
    if sys.platform != "darwin":
        # keyring's backend discovery imports its macOS backend everywhere, whose ctypes
        # module looks for the Security framework with ctypes.util.find_library: on Linux
        # that runs ldconfig, gcc and ld (about 0.35 s of child processes). The backend
        # refuses to work off macOS anyway; without its api module it says so at once.
        sys.modules.setdefault("keyring.backends.macOS.api", None)  # type: ignore[arg-type]
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


def _backend() -> KeyringBackend:
    """The active backend, refusing the ones that are no keyring at all."""
    kr: KeyringBackend = _keyring().get_keyring()
    mod = type(kr).__module__
    if mod.startswith("keyring.backends.fail") or mod.startswith("keyring.backends.null"):
        raise KeyringUnavailable("no OS keyring is available (no Secret Service on D-Bus; "
                                 "usual over SSH)")
    if mod.startswith("keyrings.alt"):
        raise KeyringUnavailable(f"the keyring backend {mod} stores keys in plain text "
                                 "without saying so; cherry-tui will not use it")
    return kr


def _wrap(provider_id: str, fn: Callable[[KeyringBackend], T], timeout: float) -> T:
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


def refuse_bad_text(secret: str) -> None:
    """Raise :class:`BadKeyText` when one of the keys in ``secret`` cannot be sent."""
    keys = split_keys(secret)
    for n, key in enumerate(keys, 1):
        if problem := check_key_text(key):
            raise BadKeyText(f"key {n}: {problem}" if len(keys) > 1 else problem)


def keyring_set(provider_id: str, secret: str, timeout: float = KEYRING_TIMEOUT) -> None:
    refuse_bad_text(secret)
    _wrap(provider_id, lambda kr: kr.set_password(SERVICE, provider_id, secret), timeout)


def keyring_delete(provider_id: str, timeout: float = KEYRING_TIMEOUT) -> bool:
    """Delete the stored key; False when there was none."""
    from keyring.errors import PasswordDeleteError

    def delete(kr: KeyringBackend) -> bool:
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
    """The plain-text secrets file, used only for providers whose key = "file".

    Its shape is one table of strings (several keys in one string: comma separated)::

        [keys]
        oneapi = "sk-..."

    A file that cannot be read, is not UTF-8 TOML or has another shape gives a
    :class:`SecretsError` naming the file, the line or key, and what to do; it is never
    written over. Writes hold the folder lock and are atomic, like config.toml's.
    """

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def beside(cls, config_path: Path) -> SecretsFile:
        return cls(secrets_path(config_path))

    def _load(self) -> tomlkit.TOMLDocument:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return tomlkit.document()
        except OSError as exc:
            raise SecretsError(f"{self.path} cannot be read: {exc.strerror}; check its "
                               "permissions (chmod 600) or remove it") from None
        try:
            doc = files.parse_toml(raw)
        except files.TomlProblem as exc:
            where = f", line {exc.line}" if exc.line else ""
            raise SecretsError(f"{self.path}{where} does not parse: {exc.reason}; fix it, or "
                               "remove it and store the keys again (cherry-tui key set ID "
                               "--file)") from None
        self._check_shape(doc)
        return doc

    def _check_shape(self, doc: tomlkit.TOMLDocument) -> None:
        for name, value in doc.items():
            if name != "keys":
                raise SecretsError(f"{self.path}: {name} is outside the [keys] table: put the "
                                   "line under [keys] (e.g. [keys] then deepseek = \"sk-...\")")
            if not isinstance(value, dict):
                raise SecretsError(f"{self.path}: keys must be a table ([keys] on its own line, "
                                   "then one ID = \"KEY\" line per provider)")

    def _keys(self, doc: tomlkit.TOMLDocument) -> Any:
        return doc.get("keys", {})

    def problem(self) -> str | None:
        """Why the file cannot be used (read, parse or shape), or None."""
        try:
            doc = self._load()
        except SecretsError as exc:
            return str(exc)
        for pid, value in self._keys(doc).items():
            if not isinstance(value, str):
                return self._bad_value(pid, value)
        return None

    def _bad_value(self, pid: str, value: object) -> str:
        return (f"{self.path}: keys.{pid} is {files.kind(value)}, not a string: write it as "
                f"{pid} = \"KEY\" under [keys], or run cherry-tui key set {pid} --file")

    def permission_warning(self) -> str | None:
        """A warning when other users may read the file (it is still used)."""
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
        except OSError:
            return None
        if not mode & 0o077:
            return None
        return (f"{self.path} can be read by other users (mode {mode:04o}); run: "
                f"chmod 600 {shlex.quote(str(self.path))}")

    def get(self, provider_id: str) -> str | None:
        val = self._keys(self._load()).get(provider_id)
        if val is None:
            return None
        if not isinstance(val, str):
            raise SecretsError(self._bad_value(provider_id, val))
        return str(val)

    def set(self, provider_id: str, secret: str) -> None:
        refuse_bad_text(secret)

        def edit(doc: tomlkit.TOMLDocument) -> bool:
            if "keys" not in doc:
                doc.add(tomlkit.comment("Plain-text API keys, chosen by the user. "
                                        "Keep this file 0600."))
                doc["keys"] = tomlkit.table()
            doc["keys"][provider_id] = secret
            return True

        self._update(edit)

    def delete(self, provider_id: str) -> bool:
        def edit(doc: tomlkit.TOMLDocument) -> bool:
            keys = doc.get("keys")
            if not keys or provider_id not in keys:
                return False
            del keys[provider_id]
            return True

        return self._update(edit)

    def _update(self, edit: Callable[[tomlkit.TOMLDocument], bool]) -> bool:
        """Re-read, edit and write under the folder lock; a file that does not load is
        never written over. False when ``edit`` changed nothing."""
        try:
            with files.locked(self.path):
                files.clean_stale_temps(self.path)
                doc = self._load()
                if not edit(doc):
                    return False
                files.atomic_write(self.path, tomlkit.dumps(doc).encode("utf-8"), mode=0o600)
                os.chmod(files.target_of(self.path), 0o600)
        except OSError as exc:
            raise SecretsError(files.write_problem(self.path, exc)) from None
        return True


# ---------------------------------------------------------------------------- command
class KeyCommandError(SecretsError):
    """The key command could not be run or failed; says which provider, command and why."""


CMD_TIMEOUT = 10.0
_cmd_lock = threading.Lock()
_cmd_cache: dict[str, tuple[str, ...] | KeyCommandError] = {}


def run_key_command(provider_id: str, command: str,
                    timeout: float = CMD_TIMEOUT) -> tuple[str, ...]:
    """The keys a ``key = "cmd:COMMAND"`` prints, from the first run in this process.

    The command is split with :func:`shlex.split` and run without a shell (write
    ``sh -c '...'`` for one), with stdin closed and ``timeout`` seconds to finish; its
    stdout, trimmed, holds the key (several: separated by commas or lines). It runs once
    per process (its result, or its failure, is kept in memory only), so a password
    manager asks at most once. Its output is never logged; a failure names the provider,
    the command and why (not found, exit status with stderr's last line, timeout).
    """
    command = command.strip()
    with _cmd_lock:  # one run even when several threads ask at once
        cached = _cmd_cache.get(command)
        if cached is None:
            try:
                cached = _run_command(provider_id, command, timeout)
            except KeyCommandError as exc:
                cached = exc
            _cmd_cache[command] = cached
    if isinstance(cached, KeyCommandError):
        raise cached
    return cached


def _run_command(provider_id: str, command: str, timeout: float) -> tuple[str, ...]:
    def fail(why: str) -> KeyCommandError:
        return KeyCommandError(f"{provider_id}: the key command `{command}` {why}")

    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise fail(f"does not split into words ({exc}): check its quotes") from None
    if not argv:
        raise fail('is empty: write key = "cmd:COMMAND"')
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except FileNotFoundError:
        raise fail(f"cannot run: {argv[0]} was not found (install it, or give its full "
                   "path)") from None
    except PermissionError:
        raise fail(f"cannot run: {argv[0]} is not executable") from None
    except OSError as exc:
        raise fail(f"cannot run: {exc.strerror}") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The whole group: a shell's children would otherwise keep the pipes open.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.communicate()
        raise fail(f"did not finish within {timeout:g} s (is it waiting for a password "
                   "prompt nobody sees?)") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
        said = f": {lines[-1]}" if lines else " (it printed nothing on stderr)"
        raise fail(f"failed with exit status {proc.returncode}{said}")
    keys = tuple(split_keys(out.decode("utf-8", "replace").strip()))
    if not keys:
        raise fail("printed no key on stdout")
    return keys


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
        """Short status for lists: keyring / env:VAR / file / cmd / missing (with a reason)."""
        if self.source.startswith("cmd:"):
            bad = " (bad key)" if self.problem else ""
            return f"cmd{bad}" if self.present else "missing (key command failed)"
        if self.present and self.problem:
            return f"{self.source} (bad key)"
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
    """Find a provider's keys from its chosen source (keyring calls may block: not on a UI thread).

    A key that cannot be sent (see :func:`check_key_text`) is returned with ``problem``
    set, so callers can say so before a request fails on it.
    """
    info = _find_keys(provider, config_path, os.environ if env is None else env, timeout)
    for n, key in enumerate(info.keys, 1):
        problem = check_key_text(key)
        if problem:
            where = {"file": "the secrets file", "keyring": "the keyring"}.get(
                info.source, f"${info.source[4:]}" if info.source.startswith("env:") else "")
            nth = f"key {n} from {where}" if len(info.keys) > 1 else f"the key from {where}"
            return replace(info, problem=f"{nth}: {problem.replace('of the key ', '', 1)}")
    return info


def _find_keys(provider: Provider, config_path: Path, env: Mapping[str, str],
               timeout: float) -> KeyInfo:
    source = provider.key
    if source and source.startswith("cmd:"):
        try:
            return KeyInfo(source, run_key_command(provider.id, source[4:]))
        except KeyCommandError as exc:
            return KeyInfo(source, (), str(exc))
    if source and source.startswith("env:"):
        return KeyInfo(source, tuple(split_keys(env.get(source[4:], ""))))
    if source == "file":
        try:
            in_file = SecretsFile.beside(config_path).get(provider.id) or ""
            return KeyInfo("file", tuple(split_keys(in_file)))
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
