"""Open a Cherry Studio backup file safely and hand it to the reader of its format.

Only the entries that are needed are unpacked (``data.json``, ``metadata.json``, the
SQLite database), each into memory or a private temp file, never under its own name,
and each is capped (:data:`MAX_UNPACKED`): a zip bomb stops at the cap, with a message.
Entry names with ``..`` or an absolute path are refused outright: a real backup never
has them, so such a file was made to trick an unpacker.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any, Protocol

from . import legacy_json, sqlite_v7
from .model import Backup, ImportProblem

MAX_UNPACKED = 512 * 1024 * 1024  # bytes: the most any one entry may unpack to
_CHUNK = 1024 * 1024
HOW_TO_EXPORT = ("in Cherry Studio open Settings, Data Settings, Export to phone, "
                 "Export as file, and import that zip")
_DRIVE = re.compile(r"^[A-Za-z]:")


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _too_big(path: Path, what: str, limit: int) -> ImportProblem:
    return ImportProblem(
        f"{path}: {what} unpacks to more than {limit // (1024 * 1024)} MiB; a real Cherry "
        "Studio backup is far smaller, so the file is refused (a zip bomb?). Make a new "
        "backup in Cherry Studio")


def _read_capped(stream: _Readable, path: Path, what: str, limit: int) -> bytes:
    out = bytearray()
    while chunk := stream.read(_CHUNK):
        out += chunk
        if len(out) > limit:
            raise _too_big(path, what, limit)
    return bytes(out)


def _damaged(path: Path, detail: str) -> ImportProblem:
    return ImportProblem(f"{path}: the file is damaged or incomplete ({detail}); copy it "
                         "again from the machine that made it (a partial download or copy?)")


def read(path: Path, limit: int = MAX_UNPACKED) -> Backup:
    """Read the backup at ``path``; :class:`ImportProblem` says why it cannot be."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except FileNotFoundError:
        raise ImportProblem(f"{path}: no such file; give the path of the backup "
                            "(cherry-studio.*.zip or *.bak)") from None
    except IsADirectoryError:
        return _read_folder(path, limit)
    except OSError as exc:
        raise ImportProblem(f"{path} cannot be read: {exc.strerror}") from None
    if head.startswith(b"\x1f\x8b"):
        return _read_gzip(path, limit)
    if head.startswith(b"PK"):
        return _read_zip(path, limit)
    if head.lstrip()[:1] == b"{":
        with path.open("rb") as fh:
            raw = _read_capped(fh, path, "the file", limit)
        return legacy_json.parse(path, "the file", raw)
    raise ImportProblem(
        f"{path} is not a Cherry Studio backup (not a zip, a gzip .bak or data.json); "
        f"give the cherry-studio.*.zip file, or {HOW_TO_EXPORT}")


def _read_gzip(path: Path, limit: int) -> Backup:
    try:
        with gzip.open(path, "rb") as fh:
            raw = _read_capped(fh, path, "the .bak file", limit)
    except (EOFError, OSError, zlib.error) as exc:
        raise _damaged(path, f"gzip: {exc}") from None
    return legacy_json.parse(path, "the .bak file", raw)


def _check_names(path: Path, names: list[str]) -> None:
    for name in names:
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
            raise ImportProblem(
                f"{path}: the zip holds an entry named {name!r}, outside the archive's own "
                "folder; Cherry Studio never writes such names, so the file is refused. "
                "Use a backup made by Cherry Studio itself")


def _entry(zf: zipfile.ZipFile, path: Path, name: str, limit: int) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise _too_big(path, name, limit)
    with zf.open(info) as fh:
        return _read_capped(fh, path, name, limit)


def _read_zip(path: Path, limit: int) -> Backup:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged(path, f"zip: {exc}") from None
    try:
        with zf:
            names = zf.namelist()
            _check_names(path, names)
            if "metadata.json" in names:
                return _read_direct(zf, path, names, limit)
            if "data.json" in names:
                return legacy_json.parse(path, "data.json", _entry(zf, path, "data.json", limit))
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise _damaged(path, f"zip: {exc}") from None
    raise ImportProblem(
        f"{path}: the zip has neither data.json nor metadata.json, so it is not a Cherry "
        f"Studio backup; give the cherry-studio.*.zip file, or {HOW_TO_EXPORT}")


_DB_NAMES = ("Data/cherrystudio.sqlite", "cherrystudio.sqlite")


def _direct_version(path: Path, meta_raw: bytes) -> None:
    """Check metadata.json of a "direct" backup: only version 7 (2.x, SQLite) is read;
    version 6 (raw browser storage) gets the way to an importable file."""
    try:
        meta: Any = json.loads(meta_raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportProblem(f"{path}: metadata.json is not valid JSON ({exc}); "
                            "the backup is damaged: make a new one") from None
    version = meta.get("version") if isinstance(meta, dict) else None
    if version == 6:
        app = meta.get("appVersion", "1.8.1 or later")
        raise ImportProblem(
            f"{path} is a Cherry Studio {app} backup (version 6): it holds the app's raw "
            "browser storage, which cherry-tui cannot read. To make a file it can import: "
            f"{HOW_TO_EXPORT}")
    if version != 7:
        raise ImportProblem(
            f"{path}: unknown backup version {version!r} in metadata.json (cherry-tui reads "
            f"versions 1-5 and 7); {HOW_TO_EXPORT}")


def _no_database(path: Path) -> ImportProblem:
    return ImportProblem(
        f"{path}: this Cherry Studio 2.x backup (version 7) has no "
        "Data/cherrystudio.sqlite; make a new backup in Cherry Studio (Settings, Data)")


def _read_direct(zf: zipfile.ZipFile, path: Path, names: list[str], limit: int) -> Backup:
    _direct_version(path, _entry(zf, path, "metadata.json", min(limit, _CHUNK)))
    for name in _DB_NAMES:
        if name in names:
            return _read_sqlite(zf, path, name, limit)
    raise _no_database(path)


def _read_folder(path: Path, limit: int) -> Backup:
    """An unzipped backup: the same files in a folder."""
    meta, data = path / "metadata.json", path / "data.json"
    if meta.is_file():
        with meta.open("rb") as fh:
            _direct_version(path, _read_capped(fh, path, "metadata.json", _CHUNK))
        for name in _DB_NAMES:
            if (path / name).is_file():
                return sqlite_v7.read(path, path / name)
        raise _no_database(path)
    if data.is_file():
        with data.open("rb") as fh:
            return legacy_json.parse(path, "data.json", _read_capped(fh, path, "data.json",
                                                                      limit))
    raise ImportProblem(f"{path} is a folder without data.json or metadata.json; give the "
                        "backup file itself (cherry-studio.*.zip) or the folder it was "
                        "unzipped to")


def _read_sqlite(zf: zipfile.ZipFile, path: Path, name: str, limit: int) -> Backup:
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise _too_big(path, name, limit)
    with tempfile.TemporaryDirectory(prefix="cherry-tui-import-") as tmp:  # mode 0700
        db = Path(tmp) / "backup.sqlite"
        with zf.open(info) as src, db.open("wb") as dst:
            copied = 0
            while chunk := src.read(_CHUNK):
                copied += len(chunk)
                if copied > limit:
                    raise _too_big(path, name, limit)
                dst.write(chunk)
        return sqlite_v7.read(path, db)
