"""The TUI with broken or changing files: it starts, says which file and line, and never
writes over a file that does not parse (Pilot)."""

from __future__ import annotations

import os

import pytest
from _provider_helpers import settle

from cherry_tui.core.config import Config
from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.screens.providers import ProvidersScreen

CUSTOM = """\
# my gateway
[providers.home-oneapi]
name = "Home OneAPI"
address = "http://127.0.0.1:3000"
enabled = true
"""


def write(path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("latin-1") if isinstance(data, str) else data)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("text, line", [
    ('[providers.gw]\naddress = "http://127.0.0.1:3000"\nname = "A"\nname = "B"\n', 4),
    ('[providers.gw]\naddress = "http://x"\n[providers.gw]\nenabled = true\n', 3),
    ('theme = "caf\xe9"\n', 1),
], ids=["key twice", "table twice", "not UTF-8"])
async def test_starts_on_a_broken_config_and_writes_nothing(config_file, text, line):
    write(config_file, text)
    before = config_file.read_bytes()
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProvidersScreen)
        assert any(str(config_file) in m and f"line {line}" in m for m in notes(app)), notes(app)
        await pilot.press("space")
        await settle(pilot)
        assert any("not saved" in m for m in notes(app))
    assert config_file.read_bytes() == before


@pytest.mark.parametrize("raw, words", [
    (b'[keys]\ndeepseek = "sk-caf\xe9"\n', "is not UTF-8"),
    (b"[keys]\ndeepseek = 5\n", "keys.deepseek is a number"),
    (b'[keys.deepseek]\nkey = "x"\n', "keys.deepseek is a table"),
], ids=["not UTF-8", "a number", "a table"])
async def test_starts_on_a_bad_secrets_file_and_says_so(config_file, raw, words):
    write(config_file, '[providers.deepseek]\nkey = "file"\nenabled = true\n')
    secrets_file = config_file.parent / "secrets.toml"
    write(secrets_file, raw)
    os.chmod(secrets_file, 0o600)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProvidersScreen)
        assert any(str(secrets_file) in m and words in m for m in notes(app)), notes(app)
        assert app.screen.key_infos["deepseek"].status == "missing"


async def test_secrets_file_readable_by_others_gets_a_notice(config_file):
    secrets_file = config_file.parent / "secrets.toml"
    write(secrets_file, '[keys]\ndeepseek = "sk-deepseek-0123456789"\n')
    os.chmod(secrets_file, 0o644)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any(m.endswith(f"run: chmod 600 {secrets_file}") for m in notes(app)), notes(app)


async def test_config_broken_by_hand_while_running_then_fixed(config_file):
    """Issue 9 finding 1: space on a custom provider after a hand edit broke the file."""
    write(config_file, CUSTOM)
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        broken = CUSTOM + '\n[providers.home-oneapi]\nmodels = ["gpt-4o-mini"]\n'
        write(config_file, broken)
        await pilot.press("slash", *"home", "escape", "space")
        await settle(pilot)
        assert any("not saved" in m.lower() or "line 7" in m for m in notes(app)), notes(app)
        await pilot.press("space")  # this one raised KeyError: 'home-oneapi'
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ProvidersScreen)
        assert config_file.read_text() == broken
        assert any("line 7" in m for m in notes(app)), notes(app)
        # The user fixes the file (keeping the models line): the next switch is saved.
        write(config_file, CUSTOM.replace("# my gateway", "# my gateway, fixed")
              + 'models = ["gpt-4o-mini"]\n')
        await pilot.press("space")
        await settle(pilot)
        shown = app.screen.current()
    saved = Config.load(config_file)
    p = saved.provider("home-oneapi")
    assert p.enabled is shown.enabled is False  # three switches: on -> off
    assert p.models == ("gpt-4o-mini",) and "# my gateway, fixed" in config_file.read_text()
