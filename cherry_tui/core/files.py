"""Safe reads and writes of the user's small TOML files (config.toml, secrets.toml).

* :func:`parse_toml` turns every shape of tomlkit/tomllib failure into one
  :class:`TomlProblem` with a line and column where one is known. tomlkit alone misses
  some (``KeyAlreadyPresent`` for a key written twice in a table has no position and is
  not a ``ParseError``); tomllib is strict and always gives a position, so both run.
* :func:`locked` holds an exclusive ``flock`` on the file's folder while a save re-reads,
  merges and writes, so two processes saving at once never lose an update. Locking the
  folder (not a ``.lock`` file) leaves nothing behind, and the kernel drops the lock when
  a process dies, so a kill -9 never leaves a stale lock.
* :func:`atomic_write` writes a temp file in the same folder (fsync, rename). Its name
  holds the writer's pid (``.config.toml.PID.XXXX.tmp``), so :func:`clean_stale_temps`
  can remove what a killed writer left: a temp file whose writer is gone, or older than
  a minute. Any error removes the temp file before it is raised.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import tomlkit
from tomlkit.toml_document import TOMLDocument

LOCK_TIMEOUT = 10.0  # seconds: a save waits this long for another process's save
STALE_AFTER = 60.0  # seconds: a temp file this old is left over, whoever wrote it
_TOMLLIB_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOMLKIT_AT = re.compile(r"\s*at line (\d+) col (\d+)\s*$")


_TWICE = ("already exists", "Cannot overwrite", "Cannot declare")


class TomlProblem(Exception):
    """A file that is not valid TOML: ``reason`` (no position), ``line`` and ``col``."""

    def __init__(self, reason: str, line: int | None = None, col: int | None = None):
        if any(word in reason for word in _TWICE):
            reason += " (written twice: keep one of them)"
        self.reason, self.line, self.col = reason, line, col
        super().__init__(reason)


def _tomllib_problem(text: str) -> TomlProblem | None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOMLLIB_AT.search(msg)
        if m:
            return TomlProblem(msg[: m.start()], int(m.group(1)), int(m.group(2)))
        return TomlProblem(msg.replace(" (at end of document)", " at the end of the file"),
                           text.count("\n") + 1)
    return None


def parse_toml(raw: bytes) -> TOMLDocument:
    """Parse ``raw`` as UTF-8 TOML for round-trip editing, or raise :class:`TomlProblem`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TomlProblem(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8",
                          raw[: exc.start].count(b"\n") + 1) from None
    strict = _tomllib_problem(text)
    try:
        doc = tomlkit.parse(text)
    except Exception as exc:  # noqa: BLE001 - tomlkit raises several unrelated types
        msg = str(exc).strip() or type(exc).__name__
        m = _TOMLKIT_AT.search(msg)
        line: int | None = int(m.group(1)) if m else None
        col: int | None = int(m.group(2)) if m else None
        words = (msg[: m.start()] if m else msg).rstrip(".")
        if strict is None:
            raise TomlProblem(words, line, col) from None
        if "already exists" in words:  # clearer than tomllib's "Cannot overwrite a value"
            raise TomlProblem(words, strict.line, strict.col) from None
        raise strict from None
    if strict is not None:
        raise strict
    return doc


def kind(value: object) -> str:
    """A TOML value's kind in the words of the TOML docs: "a string", "a table"..."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return "a date or time"


# ------------------------------------------------------------------------------ locking
def target_of(path: Path) -> Path:
    """The file a save replaces: a symlink's target, so the link itself is kept."""
    return path.resolve() if path.is_symlink() else path


@contextlib.contextmanager
def locked(path: Path, blocking: bool = True, timeout: float = LOCK_TIMEOUT) -> Iterator[bool]:
    """Hold an exclusive lock on ``path``'s folder (made if missing when ``blocking``).

    Yields True with the lock held; False when ``blocking`` is off and another process
    holds it, or when the folder cannot be locked at all (a filesystem without flock: the
    save still merges what it re-reads). A lock still held after ``timeout`` seconds (a
    stopped process) raises :class:`TimeoutError`, an ``OSError`` callers already report.
    """
    folder = target_of(path).parent
    if blocking:
        folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield False
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not blocking:
                    yield False
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(errno.ETIMEDOUT, f"another process has held the lock on "
                                       f"{folder} for {timeout:g} s") from None
                time.sleep(0.01)
            except OSError:
                yield False
                return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# ------------------------------------------------------------------------------ writing
def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(path: Path) -> list[Path]:
    """Remove our temp files beside ``path`` left by a writer that died; returns them.

    Call it with the folder locked: then no live writer of ours is between its temp
    file and the rename, and the age rule only matters for writers without the lock.
    """
    target = target_of(path)
    prefix = _temp_prefix(target)
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_part = name[len(prefix):].split(".", 1)[0]
        try:
            age = now - entry.lstat().st_mtime
        except OSError:
            continue
        writer_gone = pid_part.isdigit() and not _pid_alive(int(pid_part))
        if writer_gone or age > STALE_AFTER:
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically. The file keeps its mode (a new one gets
    ``mode``, default 0600); a symlink keeps pointing at the rewritten target."""
    target = target_of(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = 0o600
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(target)}{os.getpid()}.", suffix=".tmp",
                               dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:
        dfd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def write_problem(path: Path, exc: OSError) -> str:
    """One line for a failed write: what happened and what to do."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        todo = "free some disk space and try again"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        todo = f"make {target_of(path).parent} writable, or choose another config folder " \
               "(--config PATH or CHERRY_TUI_CONFIG)"
    else:
        todo = "check the folder and try again"
    return f"cannot write {path}: {reason}: {todo}"
