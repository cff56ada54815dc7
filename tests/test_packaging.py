"""The built wheel, installed into a fresh venv, carries its data and runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Build from a clean copy: a stale build/ folder in the checkout could leak old files.
    src = tmp_path_factory.mktemp("src") / "cherry-tui"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis", "tests"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=600)
    (whl,) = out.glob("cherry_tui-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_contains_catalog_and_every_theme(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cherry_tui/data/providers.toml" in names
    assert "cherry_tui/ui/widgets/chatlog/widget.py" in names  # subpackages are listed too
    shipped = sorted(p.name for p in (ROOT / "themes").glob("*.toml"))
    assert shipped, "the top-level themes/ folder has no theme files"
    for name in shipped:
        assert f"cherry_tui/themes/{name}" in names, name
    assert not any(n.startswith("tests/") for n in names)


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, timeout=600)
    exe = venv / "bin" / "cherry-tui"
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60,
                       cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("cherry-tui 0.")
    r = subprocess.run([str(exe), "url", "https://api.deepseek.com", "--json"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert '"rule": "append-version"' in r.stdout
    probe = (
        "from cherry_tui.core.catalog import catalog; from cherry_tui.core.themes import "
        "shipped_themes_dir as d, load_themes;"
        "print(len(catalog())); print(d()); print(sorted(p.name for p in d().glob('*.toml')));"
        "s = load_themes(None); print(' '.join(s.names())); print(s.problems)"
    )
    r = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True,
                       text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    count, where, files, names, problems = r.stdout.splitlines()
    assert int(count) >= 21
    assert where.startswith(str(venv)) and where.endswith("cherry_tui/themes")  # not this checkout
    shipped = sorted((ROOT / "themes").glob("*.toml"))
    assert eval(files) == [p.name for p in shipped]
    assert set(names.split()) == {p.stem for p in shipped} and problems == "[]"
    assert names.split()[0] == "cherry-dark"
