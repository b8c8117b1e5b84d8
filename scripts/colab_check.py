"""`make colab-check` and `make oldest-check`: notebooks in an environment built here, not this venv.

    python scripts/colab_check.py [NOTEBOOK ...] [--env colab|oldest] [--python PATH] [--venv DIR]

colab: today's Colab runtime (Python 3.13 since August 2026, ipywidgets 7.7.1, and Colab's own
torch, numpy and matplotlib preinstalled: COLAB_PINS). The first code cell of each notebook then
runs `%pip install "lbdlutils @ git+<REPO_URL>"`. This builds such an environment (torch from
PyPI, which on Linux is the CUDA build that Colab also has: several GB, downloaded once into pip's
cache), makes `google.colab` importable so the notebook takes its Colab branch, points the install
at a clone of this repository's HEAD, and runs each notebook, copied to an empty folder with an
empty model zoo, at ci, as a reader's kernel (live widgets and tqdm bars, not headless summaries).
It then checks that lbdlutils came from that install, that none of Colab's pins was upgraded, and
that every cell that loops shows a tqdm bar (an ipywidgets 7.7.1 widget).

oldest: the oldest environment pyproject.toml promises: its `requires-python` floor and every
dependency at exactly its lower bound (read from pyproject, so the promise is what runs), with
lbdlutils installed from the clone as a reader's `pip install` would; the notebooks at ci, headless.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402  (scripts/ is on sys.path when the script runs)

WIDGET = "application/vnd.jupyter.widget-view+json"
# Colab's runtime since 2026-08-25 (googlecolab/colabtools#6081: Python 3.13). Its torch is the last
# release whose upgrade issue Colab closed (2.10: colabtools#5801; 2.11's #5925 and 2.13's #6053 are
# open); numpy 2.1 is the oldest with Python 3.13 wheels (Colab held 2.0.2 on 3.12); matplotlib 3.10
# as in runtime 2026.01. Pinned: what a notebook must not upgrade. The rest comes as Colab has it.
COLAB_PINS = ["torch==2.10.0", "ipywidgets==7.7.1", "numpy==2.1.3", "matplotlib==3.10.0"]
COLAB_REST = ["ipykernel", "papermill", "scipy", "scikit-learn", "networkx", "tqdm"]
PYENV = Path.home() / ".pyenv" / "versions"


def floors(pyproject: Path = ROOT / "pyproject.toml") -> tuple[str, list[str]]:
    """pyproject's Python floor (e.g. '3.10') and each dependency pinned at its lower bound."""
    project = tomllib.loads(pyproject.read_text())["project"]
    python = re.fullmatch(r">=\s*(\d+\.\d+)", project["requires-python"].strip())
    pins = []
    for dep in project["dependencies"]:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([\w.]+)(,.*)?", dep.strip())
        if not (python and m):
            raise ValueError(f"pyproject.toml: {dep!r} (or requires-python) has no plain '>=' floor to test")
        pins.append(f"{m[1]}=={m[2]}")
    return python[1], pins


def pyenv_python(version: str) -> Path:
    """The newest pyenv Python of that minor version (e.g. 3.13 -> ~/.pyenv/versions/3.13.0)."""
    found = sorted(PYENV.glob(f"{version}.*"), key=lambda p: [int(x) for x in p.name.split(".") if x.isdigit()])
    return (found[-1] if found else PYENV / f"{version}.0") / "bin" / "python"


def sh(*cmd: str | Path, **kw) -> str:
    """Run a command; its output, or an error that shows the command and its last lines."""
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def build(python: Path, venv: Path, pins: list[str], rest: list[str], colab: bool) -> Path:
    """The virtual environment's python, created and filled once (pins exact, the rest as pip picks)."""
    py = venv / "bin" / "python"
    if not py.exists():
        sh(python, "-m", "venv", venv)
    # Colab's pip is recent; the one an older Python's venv starts with rejects git+file:// URLs
    sh(py, "-m", "pip", "install", "-q", "-U", "pip>=24")
    sh(py, "-m", "pip", "install", "-q", *pins, *rest)
    if colab:
        site = Path(sh(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
        (site / "google" / "colab").mkdir(parents=True, exist_ok=True)  # a namespace package, beside protobuf's
        (site / "google" / "colab" / "__init__.py").write_text('"""Stands in for Colab\'s module (colab_check)."""\n')
        (site / "colab_check_stub.pth").write_text("import google.colab\n")  # loaded at start-up, as on Colab
    return py


def versions(py: Path, names: list[str]) -> dict[str, str]:
    """Installed versions of these distributions (absent ones left out)."""
    code = ("import json, sys, importlib.metadata as m\nout = {}\nfor d in sys.argv[1:]:\n"
            "    try:\n        out[d] = m.version(d)\n    except m.PackageNotFoundError:\n        pass\n"
            "print(json.dumps(out))")
    return json.loads(sh(py, "-c", code, *names))


def colab_problems(py: Path, nb: Path, ran: list[dict], before: dict[str, str], venv: Path, cwd: Path) -> list[str]:
    """What a Colab run got wrong: an upgraded pin, lbdlutils from elsewhere, no Colab branch, no bars."""
    after = versions(py, list(before))
    problems = [f"{d} changed {before[d]} -> {after.get(d)}" for d in before if after.get(d) != before[d]]
    where = sh(py, "-c", "import lbdlutils; print(lbdlutils.__file__)", cwd=cwd).strip()
    problems += [] if str(venv.resolve()) in where else [f"lbdlutils imported from {where}"]
    problems += [] if "Colab" in json.dumps(ran, ensure_ascii=False) else ["the setup cell did not report Colab"]
    # the cells whose committed run printed a progress summary must show tqdm's widget bar here
    code_ran = [c for c in ran if c["cell_type"] == "code"
                and "injected-parameters" not in c["metadata"].get("tags", [])]
    looped = nbtools.looping_code_cells(nbtools.read(nb))
    bars = [k for k in looped if any(WIDGET in o.get("data", {}) for o in code_ran[k].get("outputs", []))]
    return problems + [f"no progress bar in code cell {k + 1}" for k in sorted(set(looped) - set(bars))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, default=[ROOT / "notebooks" / "01_machine_learning.ipynb"])
    ap.add_argument("--env", choices=["colab", "oldest"], default="colab")
    ap.add_argument("--python", type=Path, help="default: pyenv's 3.13 (colab), pyproject's floor (oldest)")
    ap.add_argument("--venv", type=Path, help="where the environment lives (default .colab-venv or .oldest-venv)")
    args = ap.parse_args()
    colab = args.env == "colab"
    floor, floor_pins = floors()
    pins = COLAB_PINS if colab else floor_pins
    python = args.python or pyenv_python("3.13" if colab else floor)
    venv = args.venv or ROOT / f".{args.env}-venv"
    if not python.exists():
        print(f"{args.env}-check skipped: no Python at {python} (give one with --python)")
        return 0
    py = build(python, venv, pins, COLAB_REST if colab else ["ipykernel", "papermill"], colab)
    sh(py, "-m", "pip", "uninstall", "-q", "-y", "lbdlutils")  # Colab's notebook cell installs it; oldest: below
    before = versions(py, [re.split(r"[=<>]", p)[0] for p in pins])
    work = Path(tempfile.mkdtemp(prefix=f"lbdl-{args.env}-"))
    sh("git", "clone", "-q", ROOT, work / "clone")  # committed state, as GitHub would serve it
    if not colab:  # a reader's plain install, held to the floors: pip fails rather than upgrade one
        (work / "floors.txt").write_text("\n".join(pins) + "\n")
        sh(py, "-m", "pip", "install", "-q", "-c", work / "floors.txt", work / "clone")
    import lbdlutils

    failed = []
    for nb in args.notebooks:
        alone = work / nb.stem
        alone.mkdir()
        text = nb.read_text(encoding="utf-8").replace(f"git+{lbdlutils.REPO_URL}", f"git+file://{work / 'clone'}")
        (alone / nb.name).write_text(text, encoding="utf-8")
        try:
            stats = sh(py, ROOT / "scripts" / "run_notebook.py", alone / nb.name, alone / f"run-{nb.name}",
                       "--scale", "ci", *(["--watched"] if colab else []), cwd=alone,  # an empty zoo: a first visit
                       env=os.environ | {"LBDL_CACHE": str(alone / "zoo")}).strip().splitlines()[-1]
            ran = nbtools.read(alone / f"run-{nb.name}")["cells"]
            problems = colab_problems(py, nb, ran, before, venv, alone) if colab else []
        except RuntimeError as err:
            lines = str(err).splitlines()
            stats, problems = "", list(dict.fromkeys([*(x for x in lines if "failed in cell" in x), lines[-1]]))
        pinned = ", ".join(f"{d} {v}" for d, v in before.items())
        print(f"{'PASS' if not problems else 'FAIL'} {nb.name} on Python {sh(py, '-V').split()[1]} with {pinned}: "
              f"{stats}" + "".join(f"\n    ✗ {p}" for p in problems), flush=True)
        if problems:
            failed.append(nb.name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
