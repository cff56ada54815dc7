"""``cherry-tui assistants``: the assistants ``ask -a NAME`` and the TUI's picker offer.

Built-ins, the user's changes to them, the user's own, and hidden ones (marked), with
their model and settings; ``--json`` gives every field. Names and prompts come from the
config file, so they pass the gate (:mod:`cherry_tui.core.text`) on the way out.
"""

from __future__ import annotations

import argparse
import json

from .cli_common import err, load_config
from .core import assistants
from .core.text import inert_line


def cmd_assistants(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    found = assistants.load(cfg)
    if args.json:
        print(json.dumps([{
            "name": a.name, "source": a.source, "hidden": a.hidden, "prompt": a.prompt,
            "model": a.model, "temperature": a.temperature, "top_p": a.top_p,
            "max_tokens": a.max_tokens, "context": "all" if a.context is None else a.context,
            "problems": list(a.problems)} for a in found], indent=2, ensure_ascii=False))
        return 0
    width = max(len(inert_line(a.name)) for a in found)
    print(f"{'NAME':<{width}}  {'SOURCE':<17}  {'MODEL':<24}  SETTINGS")
    for a in found:
        settings = [f"{k}={v:g}" for k, v in (("temperature", a.temperature),
                                              ("top_p", a.top_p)) if v is not None]
        if a.max_tokens is not None:
            settings.append(f"max_tokens={a.max_tokens}")
        if a.context is not None:
            settings.append(f"context={a.context}")
        source = a.source + (", hidden" if a.hidden else "")
        model = inert_line(a.model or "(the default)")
        print(f"{inert_line(a.name):<{width}}  {source:<17}  {model:<24}  {' '.join(settings)}")
        for problem in a.problems:
            err(problem)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assistants", help="list the assistants (built-in, yours, hidden) that "
                       "ask -a NAME and the TUI use")
    p.add_argument("--json", action="store_true", help="one JSON list with every field")
    p.set_defaults(func=cmd_assistants)
