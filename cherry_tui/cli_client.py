"""``cherry-tui models``, ``check`` and ``ask``: the provider client from the shell.

Exit status: 0 success, 1 a provider error (one line on stderr) or a closed stdout,
2 a usage error, 130 ctrl-c. Model output sent to a terminal has its control
characters made visible (an ESC in a model's answer must never drive the terminal);
to a pipe it is written as is. Everything else that came from outside (server errors,
model ids, names) passes the gate (:mod:`cherry_tui.core.text`) wherever it goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys

from .cli_common import Failure, UsageError, get_provider, load_config
from .core.assistants import Assistant, find, trim_context
from .core.attachments import TEXT_LIMIT
from .core.text import inert, inert_line

TEXT_LIMIT_KB = TEXT_LIMIT // 1024


# ------------------------------------------------------------------------------ helpers
def _keys(cfg, provider) -> tuple[str, ...]:
    from .core.secrets import key_info

    return key_info(provider, cfg.path).keys


def _note(msg: str) -> None:
    """One line on stderr, gated: it may hold server text."""

    try:
        print(f"cherry-tui: {inert_line(msg)}", file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):  # stderr closed: nowhere to say it
        pass


def _failure(exc: Exception) -> Failure:

    return Failure(inert_line(str(exc)))


def _client(args, cfg=None):
    from .core.client import Client, answer_limit

    limit, problem = answer_limit(cfg.get("max_answer_bytes") if cfg is not None else None)
    if problem:
        _note(problem)
    return Client(connect_timeout=args.connect_timeout, read_timeout=args.read_timeout,
                  max_answer_bytes=limit)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                          "\u2028\u2029]")


def _json_line(obj) -> str:
    """JSON with the controls that json.dumps leaves raw (DEL, C1, BiDi) as \\u escapes."""
    text = json.dumps(obj, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _quiet_stdout() -> None:
    """stdout's reader went away: point fd 1 at /dev/null so the exit flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class _Out:
    """A text stream written as chunks arrive; neutralised when it is a terminal."""

    def __init__(self, stream):
        self.stream = stream
        try:
            self.tty = stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.last = ""

    def write(self, text: str) -> None:
        if not text:
            return
        if self.tty:
            text = inert(text)
        self.stream.write(text)
        self.stream.flush()
        self.last = text[-1]

    def end_line(self) -> None:
        if self.last and self.last != "\n":
            self.stream.write("\n")
            self.stream.flush()
            self.last = "\n"


def _stdin_text() -> str:
    try:
        return sys.stdin.read()
    except (OSError, ValueError):  # closed stdin
        return ""


def _prompt(args) -> dict:
    """The user message: the ``-f`` files' blocks, then piped stdin, then the prompt's
    words (images from ``-f`` go beside the text)."""
    from .core.attachments import AttachmentError, load_all, user_message

    words = list(args.prompt or [])
    if not words or words == ["-"]:
        stdin, prompt = _stdin_text(), ""
    else:
        stdin, prompt = "", " ".join(words)
        if sys.stdin is not None and not sys.stdin.closed and not sys.stdin.isatty():
            stdin = _stdin_text()
    text = "\n\n".join(t for t in (stdin.strip(), prompt.strip()) if t)
    try:
        files = load_all(args.file or [], text_limit=args.file_limit * 1024,
                         raise_hint="with --file-limit KB")
    except AttachmentError as exc:
        raise (UsageError if exc.kind == "missing" else Failure)(str(exc)) from None
    if not text and not files:
        raise UsageError("no prompt: give it as arguments, or pipe it on stdin "
                         "(e.g. echo 'What is 2+2?' | cherry-tui ask -m PROVIDER/MODEL)")
    return user_message(text, files)


def _model_ref(cfg, ref: str | None):
    """(provider, model) from ``-m PROVIDER/MODEL``, ``-m PROVIDER`` or default_model.

    ``-m PROVIDER`` alone takes the default model when it belongs to that provider, else
    the provider's first model.
    """
    from .core.config import split_model_ref

    ref = ref or cfg.default_model
    if not ref:
        raise UsageError("no model: use -m PROVIDER/MODEL (e.g. -m deepseek/deepseek-chat), "
                         "or set default_model in the config file")
    if "/" not in ref:  # -m PROVIDER: its model in default_model, else its first model
        try:
            provider = cfg.provider(ref)
        except KeyError:
            ids = ", ".join(p.id for p in cfg.providers())
            raise UsageError(inert_line(f"{ref!r} is neither a provider nor PROVIDER/MODEL (e.g. "
                             f"-m deepseek/deepseek-chat); providers: {ids}")) from None
        pid, _, model = (cfg.default_model or "").partition("/")
        if pid == provider.id and model:
            return provider, model
        if provider.models:
            return provider, provider.models[0]
        raise UsageError(inert_line(f"provider {ref!r} has no models: add one (cherry-tui models "
                                    f"{ref} lists the server's), or use -m {ref}/MODEL"))
    try:
        pid, model = split_model_ref(ref)
    except ValueError as exc:
        raise UsageError(inert_line(str(exc))) from None
    return get_provider(cfg, pid), model


# ------------------------------------------------------------------------------ commands
def cmd_models(args) -> int:
    from .core.client import ProviderError

    cfg = load_config(args)
    provider = get_provider(cfg, args.provider)
    keys = _keys(cfg, provider)

    async def run() -> list[str]:
        async with _client(args, cfg) as client:
            return await client.list_models(provider, keys)

    try:
        models = asyncio.run(run())
    except ProviderError as exc:
        raise _failure(exc) from None
    rows = [{"id": m, "kind": provider.kind_of(m)} for m in models]
    if args.json:  # JSON escapes C0 controls itself; the rest are escaped here
        print(_json_line(rows))
    else:  # an id is one line of plain text, to a terminal or not; its kind beside it
        width = max((len(inert_line(m)) for m in models), default=0)
        for row in rows:
            print(f"{inert_line(row['id']):<{width}}  {row['kind']}")
    return 0


def cmd_check(args) -> int:
    """One tiny chat request, as the TUI's check sends; on an address failure, the doctor."""
    from .core import doctor

    cfg = load_config(args)
    provider = get_provider(cfg, args.provider)
    keys = _keys(cfg, provider)
    model = args.model or doctor.check_model(provider, cfg.default_model)
    if args.all_keys and keys:
        return _check_each_key(args, provider, keys, model)

    async def run():
        async with _client(args) as client:
            result = await client.check(provider, keys, model)
        found: list[doctor.Suggestion] = []
        if not result.ok and doctor.is_address_failure(result.kind):
            found = await doctor.diagnose(provider, keys, result.model,
                                          timeout=min(args.read_timeout, 10.0))
        return result, found

    result, found = asyncio.run(run())
    url = _checked_url(provider, result.model)
    if args.json:
        print(json.dumps({"provider": provider.id, "ok": result.ok, "message": result.message,
                          "model": result.model, "url": url,
                          "suggestions": [s.as_dict() for s in found]}, ensure_ascii=False))
    for s in found if not args.json else ():
        print(inert_line(f"Try: address {s.address} -> chat URL {s.chat_url} "
                         f"(answered {s.status})"))
    if not result.ok:
        raise Failure(result.message)
    if not args.json:
        print(inert_line(f"{provider.id}: {result.message}" + (f" ({url})" if url else "")))
    return 0


def _check_each_key(args, provider, keys: tuple[str, ...], model: str | None) -> int:
    """``check --all-keys``: the same request with each key alone, one line per key with
    its latency (as Cherry Studio's key list check); exit 1 when any key failed."""
    from .core.secrets import mask
    from .core.text import inert_line

    async def run():
        async with _client(args) as client:
            return [await client.check(provider, [key], model) for key in keys]

    results = asyncio.run(run())
    failed = sum(not r.ok for r in results)
    if args.json:
        print(json.dumps({"provider": provider.id, "model": model, "ok": not failed,
                          "keys": [{"key": mask(k), "ok": r.ok, "latency": round(r.latency, 3),
                                    "message": r.message} for k, r in zip(keys, results)]},
                         ensure_ascii=False))
    else:
        for n, (key, r) in enumerate(zip(keys, results), 1):
            said = r.message if r.ok else f"failed after {r.latency:.2f} s: {r.message}"
            print(inert_line(f"key {n} {mask(key)}: {said}"))
    if failed:
        raise Failure(f"{failed} of {len(keys)} keys of {provider.id} failed")
    return 0


def _checked_url(provider, model: str | None) -> str | None:
    """The URL the check called: the chat URL when a model was asked, else the model list."""
    try:
        res = provider.resolved(model)
    except ValueError:  # an AddressError: the check already said what is wrong
        return None
    return res.whole if model else res.models  # a check asks for one whole answer


def cmd_ask(args) -> int:
    from .core.client import (
        ContentDelta,
        Finish,
        KeySkipped,
        ProviderError,
        ReasoningDelta,
        Waiting,
    )

    if args.temperature is not None and not 0 <= args.temperature <= 2:
        raise UsageError(f"temperature {args.temperature:g} is out of range: use 0 to 2")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    if args.top_p is not None and not 0 <= args.top_p <= 1:
        raise UsageError(f"--top-p {args.top_p:g} is out of range: use 0 to 1")
    if sys.stdout is None:  # started with stdout closed (>&-): nowhere to put the answer
        raise Failure("stdout is closed, so the answer has nowhere to go: run it without "
                      ">&-, or redirect stdout to a file")
    cfg = load_config(args)
    helper = _assistant(cfg, args.assistant) if args.assistant else Assistant("")
    provider, model = _model_ref(cfg, args.model or helper.model)
    if args.file_limit < 1:
        raise UsageError("--file-limit must be at least 1 (KB)")
    message = _prompt(args)
    system = args.system if args.system is not None else helper.prompt
    opts = {"temperature": _given(args.temperature, helper.temperature),
            "max_tokens": _given(args.max_tokens, helper.max_tokens),
            "top_p": _given(args.top_p, helper.top_p)}
    messages = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append(message)
    messages = trim_context(messages, helper.context)
    keys = _keys(cfg, provider)
    for stream in (sys.stdout, sys.stderr):  # a model's text must not crash a narrow locale
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass
    out, err = _Out(sys.stdout), _Out(sys.stderr)
    finish: list[str | None] = [None]

    def waiting(event: Waiting | KeySkipped) -> None:
        out.end_line()
        if isinstance(event, KeySkipped):  # a key of several failed: the next one is asked
            _note(f"skipped key {event.masked}: {event.reason}")
        else:
            _note(f"{event.reason}: retrying in {event.seconds:.3g} s (ctrl+c to stop)")

    async def run() -> None:
        async with _client(args, cfg) as client:
            if args.no_stream:
                text, reasoning, _usage, finish[0] = await client.complete(
                    provider, keys, model, messages, on_wait=waiting, **opts)
                if args.show_reasoning and reasoning:
                    err.write(reasoning)
                    err.end_line()
                out.write(text)
                return
            thinking = False
            async for event in client.stream_chat(provider, keys, model, messages, **opts):
                if isinstance(event, ReasoningDelta):
                    if args.show_reasoning:
                        err.write(event.text)
                        thinking = True
                elif isinstance(event, ContentDelta):
                    if thinking:
                        err.end_line()
                        thinking = False
                    out.write(event.text)
                elif isinstance(event, (Waiting, KeySkipped)):
                    waiting(event)
                elif isinstance(event, Finish):
                    finish[0] = event.reason
            if thinking:
                err.end_line()

    try:
        asyncio.run(run())
        out.end_line()
    except ProviderError as exc:
        _end_lines(out, err)
        raise _failure(exc) from None
    except KeyboardInterrupt:
        _end_lines(out, err)
        raise
    except BrokenPipeError:  # the reader left (| head -c 1): stop quietly
        _quiet_stdout()
        return 1
    if finish[0] == "length":
        how = (f"a larger --max-tokens than {opts['max_tokens']}" if opts["max_tokens"]
               else "--max-tokens N, if the server allows more")
        _note(f"note: the answer was cut at the length limit (finish reason 'length'); ask "
              f"for a longer one with {how}")
    return 0


def _assistant(cfg, name: str) -> Assistant:
    """``-a NAME``: the assistant, or a usage error saying what to do."""
    try:
        helper = find(cfg, name)
    except KeyError:
        raise UsageError(inert_line(f"no assistant {name!r}: cherry-tui assistants lists "
                                    "them")) from None
    if helper.problems:
        raise UsageError(inert_line(f"{helper.problems[0]}: fix it in {cfg.path} "
                                    "(cherry-tui config check lists every problem)"))
    if helper.hidden:
        raise UsageError(inert_line(f"assistant {name!r} is hidden: remove hidden = true from "
                                    f"[assistants.{name}] in {cfg.path} to use it"))
    return helper


def _given(value, fallback):
    """The command line's value when given, else the assistant's."""
    return fallback if value is None else value


def _end_lines(*outs: _Out) -> None:
    for o in outs:
        try:
            o.end_line()
        except (OSError, ValueError):
            pass


# ------------------------------------------------------------------------------ parser
def _timeouts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="give up connecting after this long (default 10)")
    p.add_argument("--read-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="give up when the server sends nothing for this long (default 60)")


def register(sub) -> None:
    p = sub.add_parser("models", help="fetch a provider's model list")
    p.add_argument("provider")
    p.add_argument("--json", action="store_true",
                   help="one JSON list of {id, kind} (kind: chat, reasoning, vision, "
                   "embedding, rerank, image or audio)")
    _timeouts(p)
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("check", help="check a provider's address and key with one real request; "
                       "when the address is wrong, print the fixes that answered")
    p.add_argument("provider")
    p.add_argument("-m", "--model", help="ask this model for one token (default: the default "
                   "model when it is this provider's, else its first model; with no model, "
                   "the model list is fetched)")
    p.add_argument("--all-keys", action="store_true", help="check each of the provider's "
                   "keys alone, one line per key with its latency")
    p.add_argument("--json", action="store_true", help="one JSON object: ok, message, model, "
                   "url and suggestions [{address, chat_url, status}] (with --all-keys: "
                   "ok, model and keys [{key, ok, latency, message}])")
    _timeouts(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("ask", help="ask a model a question; the answer streams to stdout")
    p.add_argument("-m", "--model", metavar="PROVIDER/MODEL",
                   help="the model to ask (default: default_model from the config); "
                        "PROVIDER alone: its model in default_model, else its first")
    p.add_argument("-a", "--assistant", metavar="NAME",
                   help="use this assistant's prompt, model and settings (cherry-tui "
                        "assistants lists them); -m, -s, -t, --top-p and --max-tokens "
                        "override its values")
    p.add_argument("-s", "--system", metavar="SYSTEM", help="a system prompt")
    p.add_argument("-t", "--temperature", type=float, metavar="TEMPERATURE")
    p.add_argument("--top-p", type=float, metavar="P", help="nucleus sampling, 0 to 1")
    p.add_argument("--max-tokens", type=int, metavar="N", help="limit the answer's length")
    p.add_argument("--no-stream", action="store_true", help="wait for the whole answer")
    p.add_argument("--show-reasoning", action="store_true",
                   help="print the model's reasoning to stderr")
    p.add_argument("-f", "--file", action="append", metavar="FILE",
                   help="attach a text file (sent in a fenced block with its name) or a PNG, "
                   "JPEG, WebP or GIF image (vision models); repeatable. Sent in this order: "
                   "the files, then piped stdin, then the prompt")
    p.add_argument("--file-limit", type=int, default=TEXT_LIMIT_KB, metavar="KB",
                   help=f"the largest text file -f attaches (default {TEXT_LIMIT_KB} KB)")
    p.add_argument("prompt", nargs="*", help="the prompt; none or - reads stdin (piped stdin "
                   "also goes before a prompt given as arguments)")
    _timeouts(p)
    p.set_defaults(func=cmd_ask)
