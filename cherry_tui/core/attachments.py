"""Files and images from this machine, attached to a prompt.

* A **text file** is sent inside the prompt as a fenced block headed by its name
  (:meth:`TextFile.block`). It may be at most ``text_limit`` bytes (default
  :data:`TEXT_LIMIT`); a file holding NUL bytes is binary and refused; a file that is not
  UTF-8 is decoded with the bytes it cannot read shown as U+FFFD, and the block says so
  (mostly undecodable: refused as binary).
* An **image** (PNG, JPEG, WebP, GIF, told by its first bytes, never by its name) is kept
  as bytes with its MIME type and SHA-256, at most ``image_limit`` bytes (default
  :data:`IMAGE_LIMIT`).

A chat message carries its images protocol-neutral, as ``{"role": "user", "content":
TEXT, "images": [Image, ...]}`` (:func:`user_message`); each protocol module turns them
into its own wire format (:func:`images_of`, :func:`without_images`). Every failure is an
:class:`AttachmentError` whose message is one line: what is wrong and what to do.

Pure logic: reads files, no Textual or Rich.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .text import inert_line

TEXT_LIMIT = 256 * 1024  # bytes of one text file
IMAGE_LIMIT = 20 * 1024 * 1024  # bytes of one image (the providers' own limits are near)
IMAGE_TYPES = ("PNG", "JPEG", "WebP", "GIF")
_UNDECODABLE = 0.3  # more than this share of U+FFFD after decoding: binary, not text


class AttachmentError(Exception):
    """A file that cannot be attached; ``str()`` is the one-line reason (a path's control
    characters made visible). ``kind``: missing, folder, special, unreadable, too-big or
    binary."""

    def __init__(self, kind: str, message: str):
        super().__init__(inert_line(message))
        self.kind = kind


@dataclass(frozen=True)
class TextFile:
    name: str  # the file's name, no folders
    path: str  # the absolute path it was read from
    text: str
    size: int  # bytes on disk
    note: str = ""  # e.g. "not UTF-8: ..." when the text was decoded with replacements

    def block(self) -> str:
        """The file as the model reads it: its name, then a fenced block of its text."""
        fence = "```"
        while fence in self.text:
            fence += "`"
        head = f"File: {self.name}" + (f" ({self.note})" if self.note else "")
        body = self.text if self.text.endswith("\n") or not self.text else self.text + "\n"
        return f"{head}\n{fence}\n{body}{fence}"


@dataclass(frozen=True)
class Image:
    name: str
    path: str
    mime: str  # image/png, image/jpeg, image/webp, image/gif
    sha256: str  # hex
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{self.base64()}"


Attachment = TextFile | Image


def human_size(n: int) -> str:
    """``812 B``, ``1.5 KB``, ``20 MB`` (1 KB = 1024 bytes)."""
    if n < 1024:
        return f"{n} B"
    size, unit = n / 1024, "KB"
    if size >= 1024:
        size, unit = size / 1024, "MB"
    if size >= 1024:
        size, unit = size / 1024, "GB"
    return f"{size:.1f}".removesuffix(".0") + f" {unit}"


def sniff_image(head: bytes) -> str | None:
    """The MIME type of an image from its first bytes (12 are enough), else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def load(path: str | os.PathLike[str], *, text_limit: int = TEXT_LIMIT,
         image_limit: int = IMAGE_LIMIT, raise_hint: str = "") -> Attachment:
    """The file at ``path`` (``~`` expanded) as a :class:`TextFile` or an :class:`Image`.

    ``raise_hint`` says how the caller lets the user raise the text limit (e.g. "with
    --file-limit KB"); it ends the too-big message. Raises :class:`AttachmentError`.
    """
    shown = os.fspath(path)
    full = Path(shown).expanduser().absolute()
    try:
        st = full.stat()
        if stat.S_ISDIR(st.st_mode):
            raise AttachmentError("folder", f"{shown} is a folder: attach the files in it "
                                  "one by one")
        if not stat.S_ISREG(st.st_mode):
            raise AttachmentError("special", f"{shown} is not a regular file (a device or "
                                  "pipe): save what it gives to a file and attach that")
        with open(full, "rb") as f:
            head = f.read(12)
            mime = sniff_image(head)
            limit = image_limit if mime else text_limit
            data = head + f.read(limit + 1 - len(head))
    except FileNotFoundError:
        raise AttachmentError("missing", f"{shown}: no such file (check the path; a "
                              f"relative path starts in {Path.cwd()})") from None
    except PermissionError:
        raise AttachmentError("unreadable", f"{shown}: cannot read it (permission "
                              "denied)") from None
    except OSError as exc:
        raise AttachmentError("unreadable", f"{shown}: cannot read it "
                              f"({exc.strerror or exc})") from None
    if len(data) > limit:
        over = (f"{shown} is {human_size(max(st.st_size, len(data)))}, over the "
                f"{human_size(limit)} limit for")
        if mime:
            raise AttachmentError("too-big", f"{over} an image: make it smaller (e.g. scale "
                                  "it down) and attach that")
        hint = f", or raise the limit {raise_hint}" if raise_hint else ""
        raise AttachmentError("too-big", f"{over} a text file: attach a part of it (e.g. "
                              f"what tail gives){hint}")
    if mime:
        return Image(full.name, str(full), mime, hashlib.sha256(data).hexdigest(), data)
    return _text(shown, full, data)


def _text(shown: str, full: Path, data: bytes) -> TextFile:
    binary = (f"{shown} looks like a binary file, not text: only text files and "
              f"{', '.join(IMAGE_TYPES[:-1])} or {IMAGE_TYPES[-1]} images can be attached")
    if b"\x00" in data:
        raise AttachmentError("binary", binary)
    try:
        return TextFile(full.name, str(full), data.decode("utf-8-sig"), len(data))
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad > _UNDECODABLE * max(len(text), 1):
        raise AttachmentError("binary", binary)
    note = f"not UTF-8: {bad} undecodable byte(s) shown as \ufffd"
    return TextFile(full.name, str(full), text, len(data), note)


def reload_image(path: str, sha256: str, *, image_limit: int = IMAGE_LIMIT) -> Image:
    """An image the history recorded (path and SHA-256), read again to be sent again: the
    same bytes, else an :class:`AttachmentError` (``changed`` when the file is another
    image or no image now)."""
    got = load(path, image_limit=image_limit)
    if not isinstance(got, Image) or got.sha256 != sha256:
        raise AttachmentError("changed", f"{path} changed since it was attached (its "
                              "SHA-256 differs): attach it again to send what it holds now")
    return got


def load_all(paths: Sequence[str], **kw: Any) -> list[Attachment]:
    """Each file of ``paths`` (see :func:`load`); the first failure is raised."""
    return [load(p, **kw) for p in paths]


def user_message(prompt: str, attachments: Sequence[Attachment] = ()) -> dict[str, Any]:
    """A user message: the text files' blocks, then ``prompt``; the images beside it."""
    parts = [a.block() for a in attachments if isinstance(a, TextFile)]
    if prompt:
        parts.append(prompt)
    msg: dict[str, Any] = {"role": "user", "content": "\n\n".join(parts)}
    images = [a for a in attachments if isinstance(a, Image)]
    if images:
        msg["images"] = images
    return msg


def images_of(message: dict[str, Any]) -> list[Image]:
    """The images a message carries (none: an empty list)."""
    return [i for i in message.get("images") or () if isinstance(i, Image)]


def without_images(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "images"}


def has_images(messages: Sequence[dict[str, Any]]) -> bool:
    return any(images_of(m) for m in messages)


__all__ = ["IMAGE_LIMIT", "IMAGE_TYPES", "TEXT_LIMIT", "Attachment", "AttachmentError",
           "Image", "TextFile", "has_images", "human_size", "images_of", "load", "load_all",
           "reload_image", "sniff_image", "user_message", "without_images"]
