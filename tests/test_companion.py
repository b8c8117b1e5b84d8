"""The companion's index of its notebooks: current with the notebooks, and loadable from a pip install."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbtools as notebooks
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPANION = ROOT / "lbdlutils" / "bookdata" / "companion.json"


def test_companion_index_matches_the_notebooks():
    committed = json.loads(COMPANION.read_text(encoding="utf-8"))
    assert committed == notebooks.companion_index(ROOT / "notebooks"), \
        "lbdlutils/bookdata/companion.json is stale: run make render (it rewrites it)"
    files = [e["file"] for e in committed["notebooks"]]
    assert files == [p.name for p in notebooks.paths()]
    ch5 = next(e for e in committed["notebooks"] if e["chapter"] == 5)
    assert [f["number"] for f in ch5["figures"]] == [f"5.{i}" for i in range(1, 10)]
    assert any(h["text"].startswith("5.3 Attention") for h in ch5["headings"])
    assert any("exercise" in c["tags"] for c in ch5["cells"]) and ch5["metrics"]
    assert not any("solution" in c["tags"] for e in committed["notebooks"] for c in e["cells"])


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """lbdlutils installed as a wheel would be (no link back to this repository), in a folder of its own."""
    import ci_notebooks

    return ci_notebooks.install(tmp_path_factory.mktemp("install"))


def test_index_loads_from_a_non_editable_install(installed, tmp_path):
    target = installed
    code = ("import lbdlutils, sys; assert lbdlutils.__file__.startswith(sys.argv[1]), lbdlutils.__file__; "
            "e = lbdlutils.book.companion('05'); print(e['file'], len(e['figures']), len(lbdlutils.book.companion()))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, cwd=tmp_path,
                         env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    file, figures, count = run.stdout.split()
    assert file == "05_architectures.ipynb" and int(figures) == 9 and int(count) == len(notebooks.paths())
    assert not (target / "notebooks").exists()


def test_classroom_commands_work_from_a_plain_install(installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    run = subprocess.run([sys.executable, "-m", "lbdlutils.classroom", "student", "--out", str(tmp_path / "s")],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [p.name for p in notebooks.paths()]
    assert sorted(p.name for p in (installed / "lbdlutils" / "notebooks").glob("*.ipynb")) == \
        [p.name for p in notebooks.paths()], "the package ships the teacher's notebooks (the grader's checkers)"


def test_shipped_zoo_models_load_offline_from_a_plain_install(installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed), "LBDL_CACHE": str(tmp_path / "cache")}
    code = ("import sys; from lbdlutils import zoo; assert str(zoo.PACKAGE).startswith(sys.argv[1]), zoo.PACKAGE; "
            "zoo.load('denoiser', scale='small'); "  # an image recipe's too
            "model, metrics = zoo.load('gpt-python-large', scale='small'); print(metrics['parameters'])")
    offline = ["unshare", "--net"] if os.geteuid() == 0 and shutil.which("unshare") else []  # no network at all
    run = subprocess.run([*offline, sys.executable, "-c", code, str(installed)], capture_output=True, text=True,
                         cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count("loaded from the package") == 2 and int(run.stdout.split()[-1]) > 1_000_000
    assert not (tmp_path / "cache").exists(), "nothing trained, nothing written"
