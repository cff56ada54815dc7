"""``cherry-tui models``, ``check`` and ``ask``: the provider client from the shell.

Exit status: 0 success, 1 a provider error (one line on stderr), 2 a usage error,
130 ctrl-c. Model output sent to a terminal has its control characters made
visible (an ESC in a model's answer must never drive the terminal); to a pipe it
is written as is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .cli import Failure, UsageError, get_provider, load_config


# ------------------------------------------------------------------------------ helpers
def _keys(cfg, provider) -> tuple[str, ...]:
    from .core.secrets import key_info

    return key_info(provider, cfg.path).keys


def _client(args):
    from .core.client import Client

    return Client(connect_timeout=args.connect_timeout, read_timeout=args.read_timeout)


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
            from .core.client import neutralize_controls

            text = neutralize_controls(text)
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


def _prompt(args) -> str:
    words = list(args.prompt or [])
    if not words or words == ["-"]:
        text = _stdin_text()
    else:
        text = " ".join(words)
        stdin = sys.stdin
        if stdin is not None and not stdin.closed and not stdin.isatty():
            extra = _stdin_text()
            if extra.strip():
                text = f"{text}\n\n{extra}"
    text = text.strip()
    if not text:
        raise UsageError("no prompt: give it as arguments, or pipe it on stdin "
                         "(e.g. echo 'What is 2+2?' | cherry-tui ask -m PROVIDER/MODEL)")
    return text


def _model_ref(cfg, ref: str | None):
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
            raise UsageError(f"{ref!r} is neither a provider nor PROVIDER/MODEL (e.g. "
                             f"-m deepseek/deepseek-chat); providers: {ids}") from None
        pid, _, model = (cfg.default_model or "").partition("/")
        if pid == provider.id and model:
            return provider, model
        if provider.models:
            return provider, provider.models[0]
        raise UsageError(f"provider {ref!r} has no models: add one (cherry-tui models {ref} "
                         f"lists the server's), or use -m {ref}/MODEL")
    try:
        pid, model = split_model_ref(ref)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return get_provider(cfg, pid), model


# ------------------------------------------------------------------------------ commands
def cmd_models(args) -> int:
    from .core.client import ProviderError

    cfg = load_config(args)
    provider = get_provider(cfg, args.provider)
    keys = _keys(cfg, provider)

    async def run() -> list[str]:
        async with _client(args) as client:
            return await client.list_models(provider, keys)

    try:
        models = asyncio.run(run())
    except ProviderError as exc:
        raise Failure(exc.message) from None
    if args.json:
        print(json.dumps(models, ensure_ascii=False))
    else:
        out = _Out(sys.stdout)
        for m in models:
            out.write(m + "\n")
    return 0


def cmd_check(args) -> int:
    cfg = load_config(args)
    provider = get_provider(cfg, args.provider)
    keys = _keys(cfg, provider)

    async def run():
        async with _client(args) as client:
            return await client.check(provider, keys, args.model)

    result = asyncio.run(run())
    if not result.ok:
        raise Failure(result.message)
    try:
        url = provider.resolved().chat if result.model else provider.resolved().models
    except Exception:  # noqa: BLE001 - shown only as a detail
        url = None
    print(f"{provider.id}: {result.message}" + (f" ({url})" if url else ""))
    return 0


def cmd_ask(args) -> int:
    from .core.client import ContentDelta, ProviderError, ReasoningDelta

    if args.temperature is not None and not 0 <= args.temperature <= 2:
        raise UsageError(f"temperature {args.temperature:g} is out of range: use 0 to 2")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    cfg = load_config(args)
    provider, model = _model_ref(cfg, args.model)
    prompt = _prompt(args)
    messages = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": prompt})
    keys = _keys(cfg, provider)
    for stream in (sys.stdout, sys.stderr):  # a model's text must not crash a narrow locale
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass
    out, err = _Out(sys.stdout), _Out(sys.stderr)
    opts = {"temperature": args.temperature, "max_tokens": args.max_tokens}

    async def run() -> None:
        async with _client(args) as client:
            if args.no_stream:
                text, reasoning, _usage, _finish = await client.complete(
                    provider, keys, model, messages, **opts)
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
            if thinking:
                err.end_line()

    try:
        asyncio.run(run())
    except ProviderError as exc:
        out.end_line()
        err.end_line()
        raise Failure(exc.message) from None
    except KeyboardInterrupt:
        out.end_line()
        raise
    out.end_line()
    return 0


# ------------------------------------------------------------------------------ parser
def _timeouts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="give up connecting after this long (default 10)")
    p.add_argument("--read-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="give up when the server sends nothing for this long (default 60)")


def register(sub) -> None:
    p = sub.add_parser("models", help="fetch a provider's model list")
    p.add_argument("provider")
    p.add_argument("--json", action="store_true", help="one JSON list of model ids")
    _timeouts(p)
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("check", help="check a provider's address and key with one real request")
    p.add_argument("provider")
    p.add_argument("-m", "--model", help="ask this model for one token (default: list the models)")
    _timeouts(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("ask", help="ask a model a question; the answer streams to stdout")
    p.add_argument("-m", "--model", metavar="PROVIDER/MODEL",
                   help="the model to ask (default: default_model from the config); "
                        "PROVIDER alone: its model in default_model, else its first")
    p.add_argument("-s", "--system", metavar="SYSTEM", help="a system prompt")
    p.add_argument("-t", "--temperature", type=float, metavar="TEMPERATURE")
    p.add_argument("--max-tokens", type=int, metavar="N", help="limit the answer's length")
    p.add_argument("--no-stream", action="store_true", help="wait for the whole answer")
    p.add_argument("--show-reasoning", action="store_true",
                   help="print the model's reasoning to stderr")
    p.add_argument("prompt", nargs="*", help="the prompt; none or - reads stdin (stdin is also "
                   "appended to a prompt when piped)")
    _timeouts(p)
    p.set_defaults(func=cmd_ask)
