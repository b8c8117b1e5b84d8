"""make reproduce: re-run notebooks at their default (small) scale and seed, in a fresh kernel with
an empty model zoo, and compare every cell's output with the committed one (nbval's strict mode).

    python scripts/reproduce.py [notebooks/05_architectures.ipynb ...]   (default: all)

Cells whose output measures the machine (timings, speeds, the environment report) carry the tag
``nbval-ignore-output`` and say why in ``metadata.lbdl.why``; every other cell must reproduce.
Images are not compared (nbval's default); their text is. Round-off depends on the CPU's
instruction set and on torch's threads: a machine unlike the one that rendered is warned about.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import nbtools as notebooks  # noqa: E402
import render  # noqa: E402

IGNORE = "nbval-ignore-output"


def excluded(path: Path) -> list[tuple[int, str]]:
    """(code cell number as nbval counts, from 0; why) of the cells whose output is not compared."""
    code = [c for c in notebooks.read(path)["cells"] if c["cell_type"] == "code"]
    return [(i, c["metadata"].get("lbdl", {}).get("why", "(no reason given)")) for i, c in enumerate(code)
            if IGNORE in c["metadata"].get("tags", [])]


def main() -> int:
    targets = [Path(p) for p in sys.argv[1:]] or notebooks.paths(ROOT.parent / "notebooks")
    failures = 0
    for path in targets:
        nb = notebooks.read(path)
        n_code = sum(c["cell_type"] == "code" for c in nb["cells"])
        stamp, here = nb["metadata"].get("lbdl", {}), render.machine()
        if {k: stamp.get(k) for k in here} != here:
            print(f"{path.name}: rendered with {stamp.get('cpu')} and {stamp.get('threads')} thread(s), this machine "
                  f"has {here['cpu']} and {here['threads']}: rounding, hence last digits, may differ")
        skipped = excluded(path)
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "LBDL_HEADLESS": "1", "LBDL_CACHE": str(Path(tmp) / "zoo")}
            env.pop("LBDL_SCALE", None)  # the notebook's own SCALE and SEED, as committed
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q",
                                   "--nbval-sanitize-with", str(ROOT / "nbval_sanitize.cfg"), str(path)],
                                  env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        failures += done.returncode != 0
        verdict = "reproduces" if done.returncode == 0 else "DIFFERS"
        print(f"{path.name}: {verdict} in {seconds:.0f} s; {n_code - len(skipped)} of {n_code} code cells compared, "
              f"{len(skipped)} excluded")
        for number, why in skipped:
            print(f"    Cell {number}: {why}")
        if done.returncode != 0:
            print(done.stdout[-6000:])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
