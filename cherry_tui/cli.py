"""The ``cherry-tui`` command: the TUI by default, and subcommands for setup without it.

Exit status: 0 success, 1 a provider or runtime error, 2 a usage error, 130 ctrl-c.
Imports are lazy so that ``cherry-tui url`` and ``--version`` start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from . import __version__, cli_assistants, cli_client, cli_import
from .cli_common import Failure, UsageError, err, get_provider, load_config, save_config
from .core.addresses import PROVIDER_TYPES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, status 2
        self.print_usage(sys.stderr)
        err(message)
        sys.exit(2)


# ------------------------------------------------------------------------------ commands
def cmd_url(args) -> int:
    from .core.addresses import AddressError, resolve
    from .core.text import inert_line

    try:
        res = resolve(args.address, args.type, model=args.model, api_version=args.api_version)
    except AddressError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(res.as_dict()))
    else:
        print(f"chat:   {res.chat}")
        if res.once:
            print(f"whole:  {res.once}  (an answer asked for in one piece)")
        print(f"models: {res.models or '(cannot be derived from this address)'}")
        print(f"rule:   {res.rule} ({res.rule_text})")
        for warning in res.warnings:
            print(f"warning: {inert_line(warning)}")
    return 0


def cmd_providers(args) -> int:
    from .core.secrets import key_info

    cfg = load_config(args, strict=True)
    rows: list[dict[str, Any]] = []
    said: set[str] = set()
    for p in cfg.providers():
        try:
            chat = p.resolved().chat
        except Exception:  # noqa: BLE001 - shown as a problem below
            chat = None
        info = key_info(p, cfg.path)
        if info.problem and (info.present or info.source == "file") and info.problem not in said:
            said.add(info.problem)
            err(f"{p.id}: {info.problem}")
        rows.append({
            "id": p.id, "name": p.name, "type": p.type, "enabled": p.enabled,
            "builtin": p.builtin, "address": p.address, "chat_url": chat,
            "key": info.status, "models": len(p.models), "problems": list(p.problems),
        })
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    rows.sort(key=lambda r: not r["enabled"])
    w_id = max(len(r["id"]) for r in rows)
    w_key = max(len(r["key"]) for r in rows)
    print(f"{'ID':<{w_id}}  ON   TYPE       {'KEY':<{w_key}}  MODELS  CHAT URL")
    for r in rows:
        on = "on " if r["enabled"] else "off"
        url = r["chat_url"] or ("problem: " + "; ".join(r["problems"]))
        print(f"{r['id']:<{w_id}}  {on}  {r['type']:<9}  {r['key']:<{w_key}}  "
              f"{r['models']:>6}  {url}")
    return 0


def _read_secret(prompt: str) -> str:
    try:
        if sys.stdin.isatty():
            import getpass

            return getpass.getpass(prompt)
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise UsageError("the key given on stdin is not UTF-8 text: paste the key as "
                         "plain text") from None


def cmd_key(args) -> int:
    from .core import secrets
    from .core.text import inert_line

    # A command that may change config.toml needs one that loaded (else exit 1, one line).
    cfg = load_config(args, strict=args.key_command != "show")
    p = get_provider(cfg, args.provider)
    if args.key_command == "set":
        keys = secrets.split_keys(_read_secret(f"API key for {p.name} (input hidden): "))
        if not keys:
            raise UsageError("no key given: type or pipe the key (several: separate with commas)")
        value = ",".join(keys)
        try:
            secrets.refuse_bad_text(value)
        except secrets.BadKeyText as exc:
            raise UsageError(f"{exc}. Nothing was stored.") from None
        if args.file:
            try:
                secrets.SecretsFile.beside(cfg.path).set(p.id, value)
            except secrets.SecretsError as exc:
                raise Failure(f"{exc}. Nothing was stored.") from None
            where = f"the plain-text file {secrets.SecretsFile.beside(cfg.path).path} (mode 0600)"
            if p.key != "file":
                cfg.set_provider_field(p.id, "key", "file")
                save_config(cfg)
        else:
            try:
                secrets.keyring_set(p.id, value)
            except secrets.KeyringUnavailable as exc:
                raise Failure(f"{exc}. Nothing was stored. Instead, {secrets.alternatives(p)}") \
                    from None
            where = f"the keyring ({secrets.backend_name()})"
            if p.key not in (None, "keyring"):
                cfg.set_provider_field(p.id, "key", None)
                save_config(cfg)
        masked = ", ".join(secrets.mask(k) for k in keys)
        print(f"stored {len(keys)} key(s) for {p.id} in {where}: {masked}")
        return 0
    if args.key_command == "delete":
        removed = []
        try:
            if secrets.keyring_delete(p.id):
                removed.append("keyring")
        except secrets.KeyringUnavailable as exc:
            if p.key in (None, "keyring"):
                raise Failure(str(exc)) from None
        try:
            if secrets.SecretsFile.beside(cfg.path).delete(p.id):
                removed.append("secrets file")
        except secrets.SecretsError as exc:
            raise Failure(str(exc)) from None
        if p.key == "file":
            cfg.set_provider_field(p.id, "key", None)
            save_config(cfg)
        if not removed:
            print(f"no stored key for {p.id}")
        else:
            print(f"deleted the key for {p.id} from the {' and the '.join(removed)}")
        return 0
    if args.key_command == "env":
        var = args.variable
        if not var.replace("_", "").isalnum() or var[0].isdigit():
            raise UsageError(f"{var!r} is not an environment variable name (e.g. ARK_API_KEY)")
        cfg.set_provider_field(p.id, "key", f"env:{var}")
        save_config(cfg)
        state = "set" if os.environ.get(var) else "not set in this shell yet"
        print(f"{p.id} now reads its key from ${var} ({state})")
        return 0
    if args.key_command == "cmd":
        return _key_cmd(cfg, p, args.command_line)
    if args.key_command == "show":
        info = secrets.key_info(p, cfg.path)
        detail = f" ({info.problem})" if info.problem and not info.present else ""
        status = info.source if info.source.startswith("cmd:") else info.status
        print(inert_line(f"{p.id}: {status}{detail}") +
              (f" {info.masked}" if info.present else ""))
        if len(info.keys) > 1:  # used in turn; check --all-keys tries each
            for n, key in enumerate(info.keys, 1):
                print(f"  key {n}: {secrets.mask(key)}")
        if info.problem and info.present:
            err(f"{p.id}: {info.problem}")
            return 1
        return 0 if info.present or info.source == "not needed" else 1
    raise UsageError("key: choose set, delete, env, cmd or show")


def _key_cmd(cfg, p, command: str) -> int:
    """``key cmd PROVIDER COMMAND``: save key = "cmd:COMMAND", then run it once to show
    what it gives (masked); a failing command is saved anyway and its failure said."""
    from .core import secrets
    from .core.config import key_command_problem
    from .core.text import inert_line

    source = f"cmd:{command.strip()}"
    if problem := key_command_problem(source):
        raise UsageError(problem)
    cfg.set_provider_field(p.id, "key", source)
    save_config(cfg)
    print(inert_line(f"{p.id} now reads its key from the command `{command.strip()}`"))
    info = secrets.key_info(cfg.provider(p.id), cfg.path)
    if not info.present:
        err(f"it does not give a key yet: {info.problem}")
        return 1
    print(f"it gives {len(info.keys)} key(s): {info.masked}")
    return 0


def _binding_ids() -> set[str]:
    """Every key binding id of the TUI (for [keymap]); imports the UI modules."""
    import importlib
    import inspect
    import pkgutil

    from . import ui

    ids: set[str] = set()
    for mod in pkgutil.walk_packages(ui.__path__, f"{ui.__name__}."):
        module = importlib.import_module(mod.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            for binding in cls.__dict__.get("BINDINGS", ()):
                if bid := getattr(binding, "id", None):
                    ids.add(bid)
    return ids


def cmd_config(args) -> int:
    from .core.paths import config_path

    path = config_path(getattr(args, "config", None))
    if args.config_command == "path":
        print(path)
        return 0
    if args.config_command == "check":
        from .core.checks import check_config, check_secrets
        from .core.paths import user_themes_dir
        from .core.text import inert_line
        from .core.themes import load_themes

        cfg = load_config(args, strict=True, warn_secrets=False)  # check_secrets says it
        themes = load_themes(user_themes_dir(cfg.path)).names()
        found = check_config(cfg, themes, _binding_ids()) + check_secrets(cfg.path)
        for problem in found:
            print(inert_line(str(problem)))  # names and keys come from the file
        failed = [p for p in found if not p.note]
        if not failed:
            print(f"{path}: ok")
        return 1 if failed else 0
    raise UsageError("config: choose path or check")


def cmd_themes(args) -> int:
    from .core.paths import config_path, user_themes_dir
    from .core.themes import load_themes

    cfg_file = config_path(getattr(args, "config", None))
    found = load_themes(user_themes_dir(cfg_file))
    for name in found.names():
        theme = found.themes[name]
        origin = "yours" if theme.user else "shipped"
        print(f"{name:<24} {origin:<8} {theme.description}")
    for problem in found.problems:
        err(f"skipped {problem}")
    return 1 if found.problems else 0


def cmd_tui(args) -> int:
    import gc

    # No cyclic garbage collection while the TUI starts: its imports and first screen make
    # little garbage, and a full collection fell in the first frame. The app collects and
    # switches it back on once that frame is drawn (cherry_tui/ui/collector.py).
    gc.disable()
    try:
        from .ui.app import run_app

        return run_app(args)
    finally:
        gc.enable()


# ------------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cherry-tui",
                     description="A keyboard-driven terminal client for LLM providers.")
    parser.add_argument("--version", action="version", version=f"cherry-tui {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file (default: $CHERRY_TUI_CONFIG "
                        "or the platform config dir)")
    parser.add_argument("--theme", metavar="NAME", help="theme for this run only")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("url", help="show the URLs an API address resolves to")
    p.add_argument("address")
    p.add_argument("--type", choices=PROVIDER_TYPES, default="openai")
    p.add_argument("-m", "--model", help="the model (Azure: deployment) where the URL holds one")
    p.add_argument("--api-version", help="azure-openai: the api-version (v1: the v1 API)")
    p.add_argument("--json", action="store_true", help="one JSON object: chat, models, rule")
    p.set_defaults(func=cmd_url)

    p = sub.add_parser("providers", help="list providers with address, key status and models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_providers)

    p = sub.add_parser("key", help="store, delete or point to a provider's API key")
    ks = p.add_subparsers(dest="key_command", parser_class=_Parser, metavar="ACTION", required=True)
    k = ks.add_parser("set", help="store a key (read from stdin, no echo on a terminal)")
    k.add_argument("provider")
    k.add_argument("--file", action="store_true",
                   help="store in the plain-text secrets file (mode 0600) instead of the keyring")
    k.set_defaults(func=cmd_key)
    k = ks.add_parser("delete", help="delete a stored key")
    k.add_argument("provider")
    k.set_defaults(func=cmd_key)
    k = ks.add_parser("env", help="read the key from an environment variable")
    k.add_argument("provider")
    k.add_argument("variable")
    k.set_defaults(func=cmd_key)
    k = ks.add_parser("cmd", help="read the key from a command's output (pass, op, "
                      "secret-tool, security ...), run once per run without a shell")
    k.add_argument("provider")
    k.add_argument("command_line", metavar="COMMAND",
                   help="the command, quoted as one argument, e.g. 'pass show api/deepseek'")
    k.set_defaults(func=cmd_key)
    k = ks.add_parser("show", help="where the key comes from (masked)")
    k.add_argument("provider")
    k.set_defaults(func=cmd_key)

    p = sub.add_parser("config", help="config file commands")
    cs = p.add_subparsers(dest="config_command", parser_class=_Parser, metavar="ACTION",
                          required=True)
    c = cs.add_parser("path", help="print the config file path")
    c.set_defaults(func=cmd_config)
    c = cs.add_parser("check", help="report problems in the config file")
    c.set_defaults(func=cmd_config)

    p = sub.add_parser("themes",
                       help="list the themes (shipped and yours) and problems in theme files")
    p.set_defaults(func=cmd_themes)

    cli_client.register(sub)  # models, check, ask
    cli_assistants.register(sub)  # assistants
    cli_import.register(sub)  # import cherry-studio|providers, export providers
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", cmd_tui)
    try:
        return func(args) or 0
    except UsageError as exc:
        err(str(exc))
        return 2
    except Failure as exc:
        err(str(exc))
        return 1
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return 1


if __name__ == "__main__":
    sys.exit(main())
