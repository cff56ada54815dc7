"""A conversation as Markdown, and where exports go.

* Every version is kept in the file: the kept conversation first (a turn with versions
  says which it shows), then each version not kept with the turns that followed it.
* A "new context" marker is one line (``──── new context ────``, then what it means).
* A message's attachments are one line each (kind, name, size) above its text.
* Terminal control characters are made visible (ESC -> ``^[``): ``cat`` of the file is
  harmless.
* The default folder is the user's Downloads (else Documents, else the data folder),
  never the current directory; an existing file is never replaced (``name-2.md``).

Pure logic: no Textual import.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from .attachments import human_size
from .history import CONTEXT, ERROR, INTERRUPTED, STOPPED, Conversation, Message, Tree
from .paths import data_dir


def to_markdown(conv: Conversation) -> str:
    """A conversation as a Markdown document. Terminal control characters in the text
    are made visible (ESC -> ``^[``), so ``cat`` of the file is harmless."""
    from .text import inert

    return inert(_markdown(conv))


def _markdown(conv: Conversation) -> str:
    out = [f"# {conv.display_title}", ""]
    if conv.model:
        out.append(f"- Model: `{conv.model}`")
    if conv.assistant:
        out.append(f"- Assistant: {conv.assistant}")
    if conv.temperature is not None:
        out.append(f"- Temperature: {conv.temperature:g}")
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(conv.created or time.time()))
    out.append(f"- Started: {when}")
    out.append("")
    if conv.system_prompt.strip():
        out += ["## System", "", conv.system_prompt.strip(), ""]
    tree = conv.tree or Tree.line(conv.messages)
    main = tree.path()
    others: list[Message] = []  # versions not kept: written after the conversation
    for msg in main:
        out += _message_md(msg, "##", _version_mark(tree, msg))
        others += [m for m in tree.siblings(msg) if m is not msg]
    if others:
        out += ["---", "", "# Versions not kept", ""]
    while others:
        alt = others.pop(0)
        n, total = tree.version(alt)
        out += [f"## Turn {_depth(alt)}, version {n} of {total} (not kept)", ""]
        for msg in tree.path(alt):
            out += _message_md(msg, "###", "")
            if msg is not alt:
                others += [m for m in tree.siblings(msg) if m is not msg]
    return "\n".join(out).rstrip() + "\n"


def _depth(msg: Message) -> int:
    n = 1
    while msg.parent is not None:
        msg, n = msg.parent, n + 1
    return n


def _version_mark(tree: Tree, msg: Message) -> str:
    n, total = tree.version(msg)
    return f" · version {n} of {total}" if total > 1 else ""


MARKER_LINE = "──── new context ────"


def _message_md(msg: Message, level: str, mark: str) -> list[str]:
    if msg.role == CONTEXT:
        return [f"*{MARKER_LINE}* (the messages above were not sent after this point)", ""]
    if msg.role == "user":
        out = [f"{level} You{mark}", ""]
    else:
        who = f"Assistant ({msg.model})" if msg.model else "Assistant"
        out = [f"{level} {who}{mark}", ""]
    if msg.reasoning.strip():
        out += ["<details><summary>Reasoning</summary>", "", msg.reasoning.strip(), "",
                "</details>", ""]
    if msg.attachments:
        out += [f"- Attached {a.kind}: {a.name} ({human_size(a.size)})"
                for a in msg.attachments] + [""]
    if msg.content.strip():
        out += [msg.content.rstrip(), ""]
    if msg.status in (STOPPED, INTERRUPTED):
        out += [f"*({msg.status})*", ""]
    if msg.status == ERROR and msg.error:
        out += [f"> Error: {msg.error}", ""]
    return out


def export_filename(conv: Conversation) -> str:
    slug = re.sub(r"[^\w-]+", "-", conv.display_title.lower(), flags=re.UNICODE).strip("-")
    return f"{(slug or 'conversation')[:50]}-{conv.id}.md"


def export_dir() -> Path:
    """Where exports go by default: the user's Downloads (else Documents) folder when it
    exists, else the data folder. Never the current directory, which is often a project."""
    import platformdirs

    for folder in (platformdirs.user_downloads_dir(), platformdirs.user_documents_dir()):
        path = Path(folder)
        if path.is_dir() and path != Path.home():
            return path
    return data_dir()


def free_path(path: Path) -> Path:
    """``path``, or ``name-2.md``, ``name-3.md``... the first that does not exist yet."""
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate
