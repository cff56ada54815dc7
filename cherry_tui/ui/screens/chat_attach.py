"""The chat's attachments: the files a message's ``@path`` mentions, read when it is sent,
kept with it, and sent again with every later request of the conversation.

* :meth:`ChatAttachments.prepare` reads the files a message mentions (see
  :func:`cherry_tui.core.mentions.file_paths`) and checks that every file the request
  would carry can be read and that the model sees images; any problem is one message
  and nothing is sent (the input keeps the text).
* Files are read once: a message's attachments are kept in memory while the chat shows
  it (a reopened conversation reads its text files from the history, its images from
  their paths with the recorded SHA-256, once).
* The history gets them through the writer (another thread), after the message.

No request is made here; ``chat.py`` calls in at send, regenerate and ``api_messages``.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...core import mentions
from ...core.attachments import (
    Attachment, AttachmentError, Image, TextFile, load, user_message,
)
from ...core.config import split_model_ref
from ...core.context import carried
from ...core.history import History, Message, StoredAttachment
from ...core.history_writer import Skipped
from ...core.model_kinds import sees_images
from ...core.text import inert_line
from ..access import cherry_app
from .chat_dialogs import model_refs

if TYPE_CHECKING:
    from .chat import ChatScreen


def stored(attachments: Sequence[Attachment]) -> list[StoredAttachment]:
    """What a message shows and the history keeps of its attachments."""
    return [StoredAttachment("text", a.name, a.path, a.size, text=a.text)
            if isinstance(a, TextFile) else
            StoredAttachment("image", a.name, a.path, a.size, a.mime, a.sha256)
            for a in attachments]


class ChatAttachments:
    """The attachments of one chat screen's messages (see the module docstring)."""

    def __init__(self, screen: ChatScreen):
        self.screen = screen
        self._loaded: weakref.WeakKeyDictionary[Message, list[Attachment]] = (
            weakref.WeakKeyDictionary())

    # ------------------------------------------------------------------ reading
    def _mentioned(self, text: str, editing: Message | None) -> list[Attachment]:
        """The files ``text`` mentions, read now. A file gone since the message being
        edited was sent is taken from that message (the history kept it)."""
        config = cherry_app(self.screen).config
        paths = mentions.file_paths(text, set(model_refs(config)),
                                    {p.id for p in config.providers()})
        out = []
        for path in paths:
            try:
                out.append(load(path))
            except AttachmentError as exc:
                earlier = self._kept(editing, path) if exc.kind == "missing" else None
                if earlier is None:
                    raise
                out.append(earlier)
        return out

    def _kept(self, editing: Message | None, path: str) -> Attachment | None:
        """The file of that name the edited message was sent with, if it can be sent."""
        name = os.path.basename(os.path.expanduser(path))
        try:
            sent = self.of(editing) if editing is not None else []
        except AttachmentError:
            return None
        return next((a for a in sent if a.name == name), None)

    def of(self, msg: Message) -> list[Attachment]:
        """A message's attachments as sent (read once; raises AttachmentError)."""
        if msg in self._loaded:
            return self._loaded[msg]
        if not msg.attachments:
            return []
        records = msg.attachments
        if msg.id is not None and any(a.kind == "text" and a.text is None for a in records):
            records = self._db.attachments(msg.id)  # the text files' text
        got = [a.attachment() for a in records]
        self._loaded[msg] = got
        return got

    @property
    def _db(self) -> History:
        return cherry_app(self.screen).history

    # ------------------------------------------------------------------ checks
    def prepare(self, text: str, editing: Message | None,
                models: Sequence[str]) -> list[Attachment] | None:
        """The files of a message about to be sent to ``models`` (``editing``: as a new
        version of that one), read; None (said to the user) when one of them, or of the
        earlier messages the request carries, cannot be sent."""
        shown = self.screen.messages
        earlier = shown[:shown.index(editing)] if editing in shown else shown
        try:
            files = self._mentioned(text, editing)
        except AttachmentError as exc:
            self._refuse(str(exc))
            return None
        return files if self.ready(earlier, models, files, asking=True) else None

    def ready(self, messages: list[Message], models: Sequence[str],
              extra: Sequence[Attachment] = (), *, asking: bool = False) -> bool:
        """Can the request with ``messages`` go to each of ``models`` (``asking``: a new
        question with the files ``extra`` follows them)? Every file is read (once);
        images need models that see them."""
        images = [a for a in extra if isinstance(a, Image)]
        try:
            for msg in self._sent(messages, asking):
                images += [a for a in self.of(msg) if isinstance(a, Image)]
        except AttachmentError as exc:
            self._refuse(f"an earlier message's file: {exc}")
            return False
        blind = [m for m in models if not self._sees_images(m)] if images else []
        if blind:
            model_ref = blind[0]
            pid, model = split_model_ref(model_ref)
            self._refuse(
                f"{images[0].name} is an image and {model_ref} does not take images: ctrl+l "
                f"chooses a vision model, or set its kind to vision (k on the models "
                f'screen, or model_kinds = {{ "{model}" = "vision" }} in [providers.{pid}])')
            return False
        return True

    def _sent(self, messages: list[Message], question_follows: bool) -> list[Message]:
        """The user messages of ``messages`` a request carries (core.context.carried)."""
        question = Message("user")
        asked = [*messages, question] if question_follows else messages
        return [m for m in carried(asked, self.screen.context)
                if m.role == "user" and m is not question]

    def _sees_images(self, model_ref: str) -> bool:
        try:
            pid, model = split_model_ref(model_ref)
            p = cherry_app(self.screen).config.provider(pid)
        except (ValueError, KeyError):
            return True  # no such model: the request says so
        return sees_images(model, dict(p.model_kinds), p.type)

    def _refuse(self, reason: str) -> None:
        self.screen.notify(inert_line(f"Not sent: {reason}"), title="Attachments",
                           severity="error", markup=False, timeout=12)

    # ------------------------------------------------------------------ keeping
    def keep(self, msg: Message, files: list[Attachment]) -> None:
        """``msg`` was sent with ``files``: shown with it, saved after it (the writer)."""
        if not files:
            return
        msg.attachments = stored(files)
        self._loaded[msg] = files

        def add(db: History) -> None:
            if msg.id is None:
                raise Skipped("its message could not be saved")
            db.add_attachments(msg.id, files)

        def recovery() -> str:  # what a failed write keeps: the text, the images' paths
            return "\n\n".join(a.block() if isinstance(a, TextFile) else
                               f"Image: {a.path} (SHA-256 {a.sha256})" for a in files)

        self.screen.write(add, recovery=recovery)

    def api_message(self, msg: Message, text: str | None = None, *,
                    quiet: bool = False) -> dict[str, Any]:
        """A user message as the request carries it: its files' blocks, then its text
        (``text``, else the message's), its images beside it. (``prepare``/``ready`` read
        the files first; a file that cannot be read here is left out, and said unless
        ``quiet``.)"""
        text = msg.content if text is None else text
        try:
            files = self.of(msg)
        except AttachmentError as exc:
            if not quiet:
                self.screen.notify(inert_line(f"Sent without it: {exc}"),
                                   title="Attachments", severity="warning", markup=False)
            files = []
        if not files:
            return {"role": "user", "content": text}
        return user_message(text, files)
