"""A crash never prints an API key: Textual's traceback shows locals; ours does not."""

from __future__ import annotations

from rich.console import Console

from cherry_tui.ui.app import CherryApp


def _crash_with_a_key_in_locals() -> None:
    api_key = "-".join(["sk", "crash", "secret", "0123456789"])  # a local, as in a client
    raise RuntimeError(f"boom with a key of length {len(api_key)}")


async def test_crash_traceback_has_no_locals(config_file):
    app = CherryApp(config_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        try:
            _crash_with_a_key_in_locals()
        except RuntimeError:
            app._fatal_error()  # what Textual calls for an unhandled exception
        console = Console(record=True, width=120)
        for renderable in app._exit_renderables:
            console.print(renderable)
        app._exit_renderables.clear()
    text = console.export_text()
    assert "RuntimeError" in text and "boom with a key of length" in text
    assert "_crash_with_a_key_in_locals" in text
    assert "sk-crash-secret" not in text
