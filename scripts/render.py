"""Re-run notebooks top to bottom at their default (small) scale and commit-ready their outputs.

    python scripts/render.py [notebooks/01_machine_learning.ipynb ...]   (default: all)

Each notebook runs in a fresh kernel through run_notebook.py. Only a run without errors replaces
the file; then papermill's timing metadata and any widget state are dropped and the code hash,
scale, run time, peak memory, this machine's matmul speed, metrics and the run time of each cell over 10 s
are stamped into
``metadata.lbdl`` (see CONTRIBUTING.md).
Last, the index of all notebooks is written to ``lbdlutils/bookdata/companion.json`` and their
times and memory into README.md's table of notebooks.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import nbtools as notebooks  # noqa: E402  (this folder is on sys.path when the script runs)
from run_notebook import run  # noqa: E402

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def clean(nb: dict, stamp: dict) -> dict:
    """Drop run-specific metadata and stamp the code hash and measurements."""
    nb["metadata"].pop("papermill", None)
    nb["metadata"].pop("widgets", None)
    nb["metadata"]["kernelspec"] = KERNELSPEC
    for cell in nb["cells"]:
        for key in ("papermill", "execution", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
    nb["metadata"]["lbdl"] = {"code_sha256": notebooks.code_hash(nb), **stamp}
    return nb


def machine() -> dict[str, object]:
    """What the last digits of a run depend on: the CPU's instruction set and torch's threads."""
    from lbdlutils import device

    return {"cpu": device.cpu_capability(), "threads": device.available_cpus()}


def metrics_by_name(records: list[dict]) -> dict[str, float]:
    """Every recorded value, exact, under a distinct name (a repeated name gets " #2", " #3"...)."""
    out: dict[str, float] = {}
    for r in records:
        name, n = r["name"], 1
        while name in out:
            n += 1
            name = f"{r['name']} #{n}"
        out[name] = r["value"]
    return out


def render(path: Path) -> dict:
    from budgets import matmul_gflops

    gflops = round(matmul_gflops())  # this machine's speed, so README can scale the time to the reference one
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LBDL_CACHE"] = str(Path(tmp) / "zoo")  # an empty zoo: the outputs of a first run
        try:
            stats, records, out = run(path, Path(tmp))
        except RuntimeError as err:
            sys.exit(f"render failed; the committed file is unchanged.\n{err}")
        nb = notebooks.read(out)
    stamp = {"scale": "small", "seconds": stats["seconds"], "peak_rss_mb": stats["peak_rss_mb"], **machine(),
             "matmul_gflops": gflops,
             "metrics": metrics_by_name(records),
             # cells that ran longer than a reader waits in silence: tests check they show progress
             "long_cells_s": notebooks.cell_seconds(nb, at_least=notebooks.SILENCE_LIMIT_S)}
    path.write_text(json.dumps(clean(nb, stamp), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return stats | {"metrics": stamp["metrics"]}


COMPANION = ROOT / "lbdlutils" / "bookdata" / "companion.json"


def write_companion() -> None:
    """The package's index of the notebooks, so chapters 10–11 work from a pip install (no clone)."""
    index = notebooks.companion_index(ROOT / "notebooks")
    COMPANION.write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_readme_costs() -> None:
    """README's table of notebooks, with the time and memory of their last render."""
    readme = ROOT / "README.md"
    readme.write_text(notebooks.readme_with_costs(readme.read_text(encoding="utf-8")), encoding="utf-8")


BUDGETS = ROOT / "benchmarks" / "budgets-small.md"


def write_budgets() -> None:
    """Every committed render's time scaled to the slowest machine we know, beside its budget (never a test)."""
    import statistics

    from budgets import committed, table

    stats = committed(notebooks.paths(ROOT / "notebooks"))
    speeds = [s["gflops"] for s in stats.values() if "gflops" in s] or [notebooks.REFERENCE_GFLOPS]
    lines = ["# Budgets at small: the committed renders", "", "Written by make render from each notebook's stamp; "
             "the longest silent wait counts only cells over 10 s (those stamped).", "",
             *table(stats, statistics.median(speeds), "small", "Each row scaled by the speed of its own render")]
    BUDGETS.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    targets = [Path(p) for p in sys.argv[1:]] or notebooks.paths(ROOT / "notebooks")
    for path in targets:
        stats = render(path)
        print(f"{path.name}: {stats['seconds']} s, peak {stats['peak_rss_mb']} MB")
        for name, value in stats["metrics"].items():
            print(f"    {name} = {value:g}")
    write_companion()
    write_readme_costs()
    write_budgets()
    print(f"wrote {COMPANION.relative_to(ROOT)}, the times and memory in README.md and {BUDGETS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
