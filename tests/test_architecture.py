"""The layers as a failing check: ``cherry_tui.core`` is headless, and no module imports
another that imports it back.

core/ never imports Textual, Rich, the UI or the command line, so the logic can be used
and tested without a terminal. Checked twice: by importing every core module in a fresh
interpreter (what really gets loaded, through any chain of imports) and by reading every
core file's syntax tree (an import inside a function, which loading alone never runs).
"""

from __future__ import annotations

import ast
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import cherry_tui.core

CORE = Path(cherry_tui.core.__file__).resolve().parent
SRC = CORE.parent.parent  # the folder holding the cherry_tui package


def forbidden(name: str) -> bool:
    """Textual, Rich, the UI, and the command line (cli, cli_client, cli_common, ...)."""
    return (name.split(".")[0] in ("textual", "rich")
            or name == "cherry_tui.ui" or name.startswith("cherry_tui.ui.")
            or name.startswith("cherry_tui.cli"))


def core_modules() -> list[str]:
    """Every module of cherry_tui.core, subpackages included."""
    found = pkgutil.walk_packages([str(CORE)], prefix="cherry_tui.core.")
    return sorted(["cherry_tui.core", *(m.name for m in found)])


def test_the_check_itself_knows_what_is_forbidden():
    assert forbidden("textual") and forbidden("textual.app") and forbidden("rich.text")
    assert forbidden("cherry_tui.ui.app") and forbidden("cherry_tui.cli")
    assert forbidden("cherry_tui.cli_client") and forbidden("cherry_tui.cli_common")
    assert not forbidden("richard") and not forbidden("cherry_tui.core.config")
    assert "cherry_tui.core.config" in core_modules() and len(core_modules()) >= 8


# Run in a fresh interpreter after ``forbidden`` itself: forbidden modules cannot be found,
# and each attempt is recorded with the module that made it. A library may try one and
# cope (httpx tries Rich for its command line); a cherry_tui module must not try at all.
BLOCKED_IMPORT_RUN = """
import importlib, json, sys

attempts = []

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if not forbidden(name):
            return None
        frame = sys._getframe(1)
        while frame and frame.f_globals.get("__name__", "").startswith(
                ("importlib", "_frozen_importlib")):
            frame = frame.f_back
        attempts.append([name, frame.f_globals.get("__name__", "?") if frame else "?"])
        raise ModuleNotFoundError(f"blocked: {name}", name=name)

sys.meta_path.insert(0, Blocker())
for module in sys.argv[1:]:
    importlib.import_module(module)
print(json.dumps({"attempts": attempts, "loaded": sorted(sys.modules)}))
"""


def run_blocked(modules: list[str]) -> dict[str, list]:
    code = inspect.getsource(forbidden) + BLOCKED_IMPORT_RUN
    out = subprocess.run([sys.executable, "-c", code, *modules], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, list] = json.loads(out.stdout)
    return result


def test_the_blocked_run_catches_a_ui_import():
    assert "cherry_tui.core.config" in run_blocked(["cherry_tui.core.config"])["loaded"]
    with pytest.raises(AssertionError, match=r"blocked: cherry_tui\.ui"):
        run_blocked(["cherry_tui.core.config", "cherry_tui.ui.app"])


def test_importing_core_loads_no_ui_library():
    modules = core_modules()
    result = run_blocked(modules)
    assert set(modules) <= set(result["loaded"])
    assert [(name, who) for name, who in result["attempts"] if who.startswith("cherry_tui")] \
        == []
    assert [m for m in result["loaded"] if forbidden(m)] == []


def test_importing_core_loads_no_ui_library_even_when_one_is_installed():
    """Nothing blocked: Rich is installed (Textual needs it), and httpx would load it
    (and Pygments) for its own command line unless core keeps that out."""
    code = ("import importlib, json, sys\n"
            "for module in sys.argv[1:]:\n"
            "    importlib.import_module(module)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code, *core_modules()], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = json.loads(out.stdout)
    assert "httpx" in loaded
    assert [m for m in loaded if m.split(".")[0] in ("rich", "textual", "pygments", "click")] \
        == []


def imports_of(path: Path, package: str) -> list[tuple[int, str]]:
    """Every module an ``import`` or ``from ... import`` in ``path`` (a module of
    ``package``) names, made absolute."""
    return imports_of_tree(ast.parse(path.read_text(encoding="utf-8"), str(path)), package)


def imports_of_tree(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # `from .. import ui` names the module ui, not an attribute of cherry_tui
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            found.append((node.lineno, module))
    return found


def test_relative_imports_are_resolved(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from ..ui import app\n    import rich.text\n"
                      "from . import text\n")
    names = [name for _, name in imports_of(sample, "cherry_tui.core")]
    assert "cherry_tui.ui.app" in names and "rich.text" in names
    assert "cherry_tui.core.text" in names


def test_no_core_file_imports_ui_code_even_inside_a_function():
    files = sorted(CORE.rglob("*.py"))
    assert CORE / "config.py" in files
    bad = [f"{path.relative_to(SRC)}:{line}: {name}"
           for path in files
           for line, name in imports_of(path, ".".join(path.relative_to(SRC).parts[:-1]))
           if forbidden(name)]
    assert bad == []


def import_graph(root: Path) -> dict[str, set[str]]:
    """cherry_tui module -> the cherry_tui modules it imports, lazy imports inside functions
    included; imports under ``if TYPE_CHECKING:`` are left out (they never run)."""
    files = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        package = ".".join(path.relative_to(root.parent).parts[:-1])
        found = {module for _, module in imports_of_tree(tree, package)}
        graph[name] = {m for m in found if m in files and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other, directly or round a loop."""
    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reachable = {m: reach(m) for m in graph}
    groups = {frozenset({m} | {o for o in reachable[m] if m in reachable[o]})
              for m in graph if m in reachable[m]}
    return sorted(sorted(g) for g in groups)


def test_cycle_finder_finds_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_cherry_tui():
    graph = import_graph(CORE.parent)
    assert "cherry_tui.ui.screens.history" in graph["cherry_tui.ui.screens.chat"]
    assert cycles(graph) == []


def test_cli_registers_every_command():
    """cli_client's commands are registered outright: a broken import fails loudly instead
    of silently dropping models, check and ask from the command line."""
    import argparse

    from cherry_tui.cli import build_parser

    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert {"url", "providers", "key", "config", "themes", "models", "check", "ask"} \
        <= set(sub.choices)
