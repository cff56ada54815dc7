"""Small terminals: every provider row stays distinguishable at 60x20, and the editor is
usable at 40x12 (the key source choice wraps instead of being cut off)."""

from __future__ import annotations

from _provider_helpers import settle

from cherry_tui.ui.app import CherryApp
from cherry_tui.ui.widgets.choice import Choice

TWO_HUAWEI = """\
[providers.huawei-v3]
name = "Huawei DeepSeek-V3.1"
type = "openai"
address = "https://api.modelarts-maas.com/v1/infers/271c/v1/chat/completions#"
models = ["DeepSeek"]
enabled = true

[providers.huawei-r1]
name = "Huawei DeepSeek-R1-0528"
type = "openai"
address = "https://api.modelarts-maas.com/v1/infers/271c/v1/chat/completions#"
models = ["DeepSeek"]
enabled = true
"""


def prompts(app) -> dict[str, str]:
    option_list = app.screen.query_one("#providers")
    return {option_list.get_option_at_index(i).id: str(option_list.get_option_at_index(i)
                                                        .prompt)[2:]
            for i in range(option_list.option_count)}


async def test_similar_names_stay_distinguishable_at_60x20(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(TWO_HUAWEI)
    app = CherryApp(config_file)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        rows = prompts(app)
        v3, r1 = rows["huawei-v3"], rows["huawei-r1"]
        assert v3 != r1
        assert v3.startswith("Huawei D") and r1.startswith("Huawei D")
        assert "V3.1" in v3 and "0528" in r1           # the distinguishing ends are kept
        assert len(set(rows.values())) == len(rows)    # no two rows look the same


async def test_editor_usable_at_40x12(config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(TWO_HUAWEI)
    app = CherryApp(config_file)
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        app.screen.open_editor("huawei-v3")
        await settle(pilot)
        await pilot.press("shift+tab")                 # API key -> Key from
        await settle(pilot)
        source = app.screen.query_one("#source", Choice)
        assert app.focused is source
        shown = str(source.render())
        for label in ("keyring", "env variable", "plain-text file"):
            assert label in shown, shown               # every option whole, none cut off
        screen_region = app.screen.region
        assert source.region.height == len(shown.splitlines()) > 1
        assert screen_region.contains_region(source.region)   # scrolled into view
        await pilot.press("right")                     # and it still works
        assert source.value in ("env", "keyring", "file")
        for _ in range(6):                             # every field reachable and shown
            await pilot.press("tab")
            await pilot.pause()
            assert screen_region.contains_region(app.focused.region), app.focused.id
