"""``cherry-tui import cherry-studio FILE``, ``import providers FILE`` and
``export providers``: bring a setup from Cherry Studio or from another machine.

Every import prints its plan first, one row per provider (what would be written, the
chat URL it resolves to, keys masked, and the action with its reason); ``--dry-run``
stops there. Exit status: 0 done, 1 the file or a provider cannot be imported (nothing
written), 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_common import Failure, UsageError, err, load_config
from .core.text import inert, inert_line



# ------------------------------------------------------------------------------ table
def _keys_text(row, store: str | None) -> str:
    from .core.secrets import mask

    item = row.incoming
    if item.keys:
        masked = ", ".join(mask(k) for k in item.keys)
        if not row.writes:
            return masked
        where = {"keyring": "to keyring", "file": "to secrets file",
                 "skip": "not imported"}.get(store or "", "no store chosen")
        return f"{masked} ({where})"
    return item.key_source or "-"


def print_rows(rows, store: str | None) -> None:
    """The plan as a table, warnings under their row; all outside text through the gate."""
    header = ("ID", "NAME", "TYPE", "ADDRESS", "CHAT URL", "MODELS", "KEYS", "ACTION")
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        item = row.incoming
        action = row.text
        lines.append(tuple(inert_line(v) for v in (
            item.id, item.name, item.type, item.address or "-", item.chat_url() or "-",
            ", ".join(item.models) or "-", _keys_text(row, store), action)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    for n, line in enumerate(lines):
        print("  ".join(v.ljust(w) for v, w in zip(line, widths)) + "  " + line[-1])
        if n:
            for warning in rows[n - 1].incoming.warnings:
                print(f"    ! {inert_line(warning)}")


# ------------------------------------------------------------------------------ keys
def _key_store(args, items, dry_run: bool) -> str | None:
    """The key store: --keys, else the keyring when it works; without one, a real import
    with keys to store is refused with the choices."""
    chosen = getattr(args, "keys", None)
    if chosen or not any(i.keys for i in items if not (i.error or i.skip)):
        return chosen
    from .core.secrets import keyring_available

    works, detail = keyring_available()
    if works:
        return "keyring"
    if dry_run:
        err(f"note: no keyring here ({detail}); the import needs --keys file or --keys skip")
        return None
    raise Failure(f"the backup has API keys and no keyring works here ({detail}). Choose: "
                  "--keys file (the plain-text secrets file beside config.toml, mode 0600) "
                  "or --keys skip (then: cherry-tui key set ID, or cherry-tui key env ID VAR)")


# ------------------------------------------------------------------------------ import
def _confirm(question: str) -> bool:
    """Ask on a terminal; anything but y/yes, or no terminal, is no."""
    try:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            return False
        sys.stdout.write(question)  # input() would write it to stderr
        sys.stdout.flush()
        return input().strip().lower() in ("y", "yes")
    except (EOFError, OSError, ValueError):
        return False


def _run_import(args, cfg, items, notes: list[str], broken: list[str]) -> list:
    """Plan, print, and unless --dry-run write; raises Failure. Returns the rows."""
    from .core import provider_merge
    from .core.config import ConfigError, ConfigReadOnly
    from .core.provider_merge import ACTION_TEXT
    from .core.secrets import SecretsError

    store = _key_store(args, items, args.dry_run)
    rows = provider_merge.plan(cfg, items, args.replace, store)
    if rows:
        print_rows(rows, store)
    for line in notes:
        print(inert_line(line))
    bad = [f"{r.incoming.name}: {r.why}" for r in rows if r.action == "invalid"] + broken
    for line in bad:
        err(f"{args.file}: cannot import {line}")
    writes = [r for r in rows if r.writes]
    if args.dry_run:
        print("dry run: nothing was written" + (
            f"; {len(bad)} provider(s) cannot be imported, the rest needs --yes" if bad
            and writes else ""))
        return rows
    if bad and not writes and not any(r.action == "same" for r in rows):
        raise Failure(f"{args.file}: no provider can be imported (see above); fix them in "
                      "the source and export again")
    if bad and not args.yes and not _confirm(f"Import the {len(writes)} others? [y/N] "):
        raise Failure(f"{args.file}: {len(bad)} provider(s) cannot be imported (see above); "
                      f"run again with --yes to import the {len(writes)} others. Nothing "
                      "was written")
    try:
        outcome = provider_merge.apply(cfg, rows, store)
    except SecretsError as exc:
        raise Failure(f"{exc}. The config was not changed") from None
    except (ConfigError, ConfigReadOnly) as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"cannot write {cfg.path}: {exc.strerror}") from None
    counts = outcome.counts
    summary = ", ".join(f"{counts[a]} {ACTION_TEXT[a]}" for a in
                        ("add", "update", "same", "skip", "invalid") if counts.get(a))
    print(f"{summary or 'nothing to import'}; config: {cfg.path}")
    if outcome.stored_keys:
        print(f"keys stored ({store}) for: "
              f"{', '.join(inert_line(pid) for pid in outcome.stored_keys)}")
    if store == "skip" and (unstored := [r.incoming.id for r in rows if r.writes
                                         and r.incoming.keys]):
        print("keys not stored (--keys skip); store them with: " +
              "; ".join(f"cherry-tui key set {inert_line(pid)}" for pid in unstored))
    return rows


def cmd_import_cherry(args) -> int:
    from .core import cherry_import

    path = Path(args.file).expanduser()
    try:
        backup = cherry_import.read_backup(path)
    except cherry_import.ImportProblem as exc:
        raise Failure(str(exc)) from None
    only = args.only.split(",") if args.only else ()
    try:
        selection = cherry_import.incoming(backup, only)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    cfg = load_config(args, strict=True)
    print(f"Cherry Studio backup version {backup.version}: {len(backup.providers)} "
          f"provider(s), {len(backup.topics)} conversation(s) with messages")
    notes = []
    if selection.left_out:
        notes.append(f"left out {len(selection.left_out)} unused built-in(s) (no key, off, "
                     f"default address): {', '.join(selection.left_out)}; --only ID takes one")
    if not selection.items and not backup.broken:
        notes.append("no provider in the backup is in use (no key, none switched on)")
    _run_import(args, cfg, selection.items, notes, backup.broken)
    if args.conversations:
        _conversations(args, backup)
    elif backup.topics:
        print(f"{len(backup.topics)} conversation(s) not imported: add --conversations")
    return 0


def _conversations(args, backup) -> None:
    import sqlite3

    from .core import cherry_import
    from .core.history import default_path

    path = default_path()
    if args.dry_run:
        try:
            new, done = cherry_import.topics_to_import(path, backup.topics)
        except sqlite3.Error as exc:
            raise Failure(f"{path}: the history cannot be read ({exc})") from None
        print(f"conversations: {len(new)} would be imported, {done} imported before")
        if others := sum(t.other_answers for t in new):
            print(f"  {others} further answer(s) to questions asked of several models would "
                  "be left out: each question keeps the answer Cherry Studio used")
        for topic in new:
            print(f"  {inert_line(topic.title or '(untitled)')} ({len(topic.messages)} messages)")
        return
    try:
        result = cherry_import.import_conversations(path, backup)
    except (sqlite3.Error, OSError) as exc:
        raise Failure(f"{path}: the conversations could not be written ({exc}); the "
                      "providers were imported. Make it writable (or free the disk), then run "
                      "the import again: what is there already is not copied twice") from None
    print(f"conversations: {result.added} imported, {result.before} imported before; "
          f"history: {path}")
    if result.other_answers:
        print(f"{result.other_answers} further answer(s) to questions asked of several "
              "models were left out: each question keeps the answer Cherry Studio used")


def cmd_import_providers(args) -> int:
    from .core import provider_transfer

    try:
        items = provider_transfer.read_file(Path(args.file).expanduser())
    except provider_transfer.TransferProblem as exc:
        raise Failure(str(exc)) from None
    if args.only:
        wanted = {w.strip() for w in args.only.split(",") if w.strip()}
        unknown = wanted - {i.id for i in items}
        if unknown:
            raise UsageError(f"--only: the file has no provider {', '.join(sorted(unknown))}; "
                             f"it has: {', '.join(i.id for i in items)}")
        items = [i for i in items if i.id in wanted]
    cfg = load_config(args, strict=True)
    rows = _run_import(args, cfg, items, [], [])
    needs = [r.incoming for r in rows if r.writes and r.incoming.key_source in ("keyring", "file")]
    if needs and not args.dry_run:
        print("store their keys here: " + "; ".join(
            f"cherry-tui key set {inert_line(i.id)}" + (" --file" if i.key_source == "file"
                                                        else "") for i in needs))
    return 0


def cmd_export_providers(args) -> int:
    from .core import files, provider_transfer
    from .core.secrets import key_info

    cfg = load_config(args, strict=True)
    sources = {}
    for pid in cfg.section("providers"):
        provider = cfg.provider(pid)
        if provider.key is None:
            source = key_info(provider, cfg.path).source
            if source in ("keyring", "file") or source.startswith("env:"):
                sources[pid] = source
    text = provider_transfer.export_text(cfg, sources)
    if not args.output or args.output == "-":
        sys.stdout.write(inert(text))
        return 0
    out = Path(args.output).expanduser()
    if out.exists():
        raise Failure(f"{out} exists; choose another name or remove it first")
    try:
        files.atomic_write(out, text.encode("utf-8"))
    except OSError as exc:
        raise Failure(f"cannot write {out}: {exc.strerror}") from None
    print(f"wrote {len(cfg.section('providers'))} provider(s) to {out} (no keys in it)")
    return 0


# ------------------------------------------------------------------------------ parser
def register(sub) -> None:
    p = sub.add_parser("import", help="import providers (and conversations) from Cherry "
                       "Studio or from a file written by export providers")
    what = p.add_subparsers(dest="import_command", metavar="SOURCE", required=True,
                            parser_class=type(p))
    c = what.add_parser("cherry-studio", help="a Cherry Studio backup (.zip or .bak)")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--keys", choices=["keyring", "file", "skip"],
                   help="where the API keys go (default: the keyring when one works)")
    c.add_argument("--conversations", action="store_true",
                   help="also import the conversations into the history")
    _common(c)
    c.set_defaults(func=cmd_import_cherry)
    c = what.add_parser("providers", help="a file written by cherry-tui export providers")
    c.add_argument("file", metavar="FILE")
    _common(c)
    c.set_defaults(func=cmd_import_providers)

    p = sub.add_parser("export", help="export your providers (never a key) to carry them "
                       "to another machine")
    what = p.add_subparsers(dest="export_command", metavar="WHAT", required=True,
                            parser_class=type(p))
    c = what.add_parser("providers", help="your providers as TOML, with key sources")
    c.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    c.set_defaults(func=cmd_export_providers)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="show what would change; write "
                   "nothing")
    p.add_argument("--only", metavar="ID[,ID]", help="only these providers (also unused "
                   "built-ins)")
    p.add_argument("--replace", action="store_true",
                   help="overwrite providers you already have")
    p.add_argument("--yes", action="store_true",
                   help="import the valid providers when some cannot be")
