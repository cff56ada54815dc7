"""What is wrong with a provider's keys before any request, and how to store the right one.

Every message names the key source the provider uses (keyring, secrets file, a variable).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Provider
from .errors import ProviderError, key_fix


def key_problem(key: str) -> tuple[int, str] | None:
    """(1-based position, what) of the first character that cannot be in an API key."""
    for i, ch in enumerate(key, 1):
        code = ord(ch)
        if 0x21 <= code <= 0x7E:
            continue
        if ch.isspace() or not ch.isprintable():  # zero-width space, BOM, NBSP, ...
            return i, f"an invisible character (U+{code:04X})"
        return i, f"a non-ASCII character (U+{code:04X})"
    return None


def no_key_message(p: Provider, label: str) -> str:
    if p.key and p.key.startswith("env:"):
        var = p.key[4:]
        return (f"no API key for {label}: the environment variable {var} is not set "
                f"(export {var}=... or store the key with `cherry-tui key set {p.id}`)")
    if p.key == "file":
        return (f"no API key for {label} in the secrets file: store one with "
                f"`cherry-tui key set {p.id} --file`")
    env = f", or set the environment variable {p.env}" if p.env else \
        f", or read it from a variable with `cherry-tui key env {p.id} VAR`"
    return f"no API key for {label}: store one with `cherry-tui key set {p.id}`{env}"


def check_keys(provider: Provider, keys: Sequence[str], label: str) -> None:
    """Raise a ProviderError when no key is there but one is needed, or a key is unusable."""
    if not keys and provider.needs_key:
        raise ProviderError("no_key", no_key_message(provider, label))
    for n, key in enumerate(keys, 1):
        bad = key_problem(key)
        if bad:
            which = f"key {n} of {len(keys)}" if len(keys) > 1 else "key"
            raise ProviderError("config", (
                f"the API {which} of {label} contains {bad[1]} at position {bad[0]} (often "
                f"pasted along with it): {key_fix(provider, 'a clean copy')}"))
