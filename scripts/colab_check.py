"""`make colab-check`: a notebook's Colab path, in a Colab-like environment built here.

    python scripts/colab_check.py [NOTEBOOK ...] [--python PATH] [--venv DIR]

Colab gives Python 3.12, ipywidgets 7.7.1 and torch preinstalled, and the first code cell of each
notebook then runs `%pip install "lbdlutils @ git+<REPO_URL>"`. This builds such an environment (a
virtual environment on another Python with ipywidgets 7.7.1 and torch 2.13.0 from PyPI, which on
Linux is the CUDA build that Colab also has: several GB, downloaded once into pip's cache), makes
`google.colab` importable so the notebook takes its Colab branch, points the install at a clone of
this repository's HEAD, and runs each notebook, copied to an empty folder with an empty model zoo,
at ci, as a reader's kernel (live widgets and tqdm bars, not headless summaries). It then checks
that lbdlutils came from that install, that neither torch nor ipywidgets was upgraded, and that
every cell that loops shows a tqdm bar (an ipywidgets 7.7.1 widget).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402  (scripts/ is on sys.path when the script runs)

WIDGET = "application/vnd.jupyter.widget-view+json"
PREINSTALLED = ["torch==2.13.0", "ipywidgets==7.7.1", "ipykernel", "papermill", "matplotlib", "numpy", "scipy",
                "scikit-learn", "networkx", "tqdm"]  # what Colab has before the notebook's own pip install


def sh(*cmd: str | Path, **kw) -> str:
    """Run a command; its output, or an error that shows the command and its last lines."""
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def colab_like(python: str, venv: Path) -> Path:
    """The virtual environment's python, created and filled once."""
    py = venv / "bin" / "python"
    if not py.exists():
        sh(python, "-m", "venv", venv)
    # Colab's pip is recent; the one a Python 3.12.1 venv starts with (23.2) rejects git+file:// URLs
    sh(py, "-m", "pip", "install", "-q", "-U", "pip>=24")
    sh(py, "-m", "pip", "install", "-q", *PREINSTALLED)
    site = Path(sh(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "google" / "colab").mkdir(parents=True, exist_ok=True)  # a namespace package, beside protobuf's
    (site / "google" / "colab" / "__init__.py").write_text('"""Stands in for Colab\'s module (colab_check)."""\n')
    (site / "colab_check_stub.pth").write_text("import google.colab\n")  # loaded at start-up, as on Colab
    return py


def versions(py: Path) -> dict[str, str]:
    """Installed versions of what a notebook must not upgrade (and of lbdlutils, once installed)."""
    code = ("import json, importlib.metadata as m\nout = {}\nfor d in ('torch', 'ipywidgets', 'lbdlutils'):\n"
            "    try:\n        out[d] = m.version(d)\n    except m.PackageNotFoundError:\n        pass\n"
            "print(json.dumps(out))")
    return json.loads(sh(py, "-c", code))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, default=[ROOT / "notebooks" / "01_machine_learning.ipynb"])
    ap.add_argument("--python", default=os.path.expanduser("~/.pyenv/versions/3.12.1/bin/python"))
    ap.add_argument("--venv", type=Path, default=ROOT / ".colab-venv")
    args = ap.parse_args()
    if not Path(args.python).exists():
        print(f"colab-check skipped: no Python at {args.python} (give one with --python, e.g. 3.12 or 3.13)")
        return 0
    py = colab_like(args.python, args.venv)
    sh(py, "-m", "pip", "uninstall", "-q", "-y", "lbdlutils")  # the notebook's own cell installs it
    before = versions(py)
    work = Path(tempfile.mkdtemp(prefix="lbdl-colab-"))
    sh("git", "clone", "-q", ROOT, work / "clone")  # committed state, as GitHub would serve it
    import lbdlutils

    failed = []
    for nb in args.notebooks:
        alone = work / nb.stem
        alone.mkdir()
        text = nb.read_text(encoding="utf-8").replace(f"git+{lbdlutils.REPO_URL}", f"git+file://{work / 'clone'}")
        (alone / nb.name).write_text(text, encoding="utf-8")
        try:
            stats = sh(py, ROOT / "scripts" / "run_notebook.py", alone / nb.name, alone / f"run-{nb.name}",
                       "--scale", "ci", "--watched", cwd=alone,  # an empty zoo: a first visit trains, with bars
                       env=os.environ | {"LBDL_CACHE": str(alone / "zoo")}).strip().splitlines()[-1]
            after = versions(py)
            where = sh(py, "-c", "import lbdlutils; print(lbdlutils.__file__)", cwd=alone).strip()
            ran = nbtools.read(alone / f"run-{nb.name}")["cells"]
            report = json.dumps(ran, ensure_ascii=False)
            problems = [f"{d} changed {before[d]} -> {after.get(d)}" for d in ("torch", "ipywidgets")
                        if after.get(d) != before[d]]
            problems += [] if str(args.venv.resolve()) in where else [f"lbdlutils imported from {where}"]
            problems += [] if "Colab" in report else ["the setup cell did not report Colab"]
            # the cells whose committed run printed a progress summary must show tqdm's widget bar here
            code_ran = [c for c in ran if c["cell_type"] == "code" and "injected-parameters"
                        not in c["metadata"].get("tags", [])]
            looped = nbtools.looping_code_cells(nbtools.read(nb))
            bars = [k for k in looped if any(WIDGET in o.get("data", {}) for o in code_ran[k].get("outputs", []))]
            problems += [f"no progress bar in code cell {k + 1}" for k in sorted(set(looped) - set(bars))]
            stats += f", {len(bars)}/{len(looped)} progress bars"
        except RuntimeError as err:
            lines = str(err).splitlines()
            stats, problems = "", list(dict.fromkeys([*(x for x in lines if "failed in cell" in x), lines[-1]]))
        print(f"{'PASS' if not problems else 'FAIL'} {nb.name} on Python {sh(py, '-V').split()[1]} with "
              f"ipywidgets {before['ipywidgets']}, torch {before['torch']}: {stats}"
              + "".join(f"\n    ✗ {p}" for p in problems), flush=True)
        if problems:
            failed.append(nb.name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
