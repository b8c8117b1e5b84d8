"""make budgets: each notebook's first visit timed on this machine, scaled to the slowest machine we know.

    python scripts/budgets.py [--scale ci|small] [--out FILE] [notebooks/NN_title.ipynb ...]

Machines of one kind differ more than 2× in speed, so no test times anything: times live here. Each
notebook runs alone in a fresh kernel (all cores, an empty zoo: a reader's first visit); its time is
printed beside this machine's float32 matmul speed and scaled to REFERENCE_GFLOPS, the slowest
machine of our kind seen so far. A notebook over its budget there, or a cell that leaves a reader
waiting over 10 s without progress there, is a bug to fix: this script says so and exits 1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbtools as notebooks

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_GFLOPS = notebooks.REFERENCE_GFLOPS  # the slowest machine of our kind seen so far
# Seconds on the reference machine (2 cores): the plan's budgets, and make test's whole run.
BUDGET_S = {"ci": {"*": 45.0}, "small": {"*": 300.0, "06": 480.0, "07": 480.0}}
MAKE_TEST_BUDGET_S = 600.0


def matmul_gflops(n: int = 1024, threads: int = 2, repeats: int = 10) -> float:
    """This machine's float32 matmul speed: an n×n product on ``threads`` threads, best of ``repeats``."""
    import torch

    from lbdlutils.bench import matmul_timing

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return 2 * n**3 / matmul_timing(n, repeats=repeats).best / 1e9
    finally:
        torch.set_num_threads(before)


def budget(name: str, scale: str) -> float:
    """The budget of notebook ``name`` at ``scale``, in seconds on the reference machine."""
    table = BUDGET_S[scale]
    return table.get(name[:2], table["*"])


def scaled(seconds: float, gflops: float) -> float:
    """A time measured here, as it would be on the reference machine (time goes as 1 / matmul speed)."""
    return seconds * gflops / REFERENCE_GFLOPS


def table(stats: dict[str, dict], gflops: float, scale: str, note: str = "", compare: bool = True) -> list[str]:
    """Markdown lines: each notebook's time here, scaled to the reference machine, and its budget.

    A row may carry its own ``gflops`` (a committed render's machine); the others use ``gflops``.
    ``compare=False`` leaves out the budget: times measured beside other work are not a notebook's own.
    """
    head = (f"This machine: {gflops:.0f} GFLOP/s (float32 matmul 1024, 2 threads, best of 10); reference "
            f"{REFERENCE_GFLOPS:.0f} GFLOP/s, so times × {gflops / REFERENCE_GFLOPS:.2f} there.")
    lines = [head + (f" {note}." if note else ""),
             "", "| notebook | here | peak | on the reference | budget | longest silent wait there | |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    total = total_there = 0.0
    for name, s in stats.items():
        speed = s.get("gflops", gflops)
        there, cap = scaled(s["seconds"], speed), budget(name, scale)
        silent = s.get("silent_s")
        silent_there = scaled(silent, speed) if silent is not None else None
        peak = f"{s['peak_rss_mb']} MB" if "peak_rss_mb" in s else "–"
        lines.append(f"| {name} | {s['seconds']:.1f} s | {peak} | {there:.0f} s | "
                     f"{cap:.0f} s | {'–' if silent_there is None else f'{silent_there:.1f} s'} | "
                     f"{'OVER' if name in over_budget({name: s}, gflops, scale) else 'ok'} |")
        total, total_there = total + s["seconds"], total_there + there
    lines.append(f"| all | {total:.0f} s | | {total_there:.0f} s | | | |")
    if not compare:  # keep notebook, here, on the reference
        lines = lines[:2] + ["| " + " | ".join(row.strip("|").split("|")[i].strip() for i in (0, 1, 3)) + " |"
                             for row in lines[2:]]
    return lines


def over_budget(stats: dict[str, dict], gflops: float, scale: str) -> list[str]:
    """The notebooks whose time, or longest silent wait, is over budget on the reference machine."""
    return [name for name, s in stats.items()
            if scaled(s["seconds"], s.get("gflops", gflops)) > budget(name, scale)
            or scaled(s.get("silent_s") or 0.0, s.get("gflops", gflops)) > notebooks.SILENCE_LIMIT_S]


def committed(paths: list[Path]) -> dict[str, dict]:
    """What make render stamped (at small): time, peak, longest silent wait and the machine's speed."""
    stats = {}
    for path in paths:
        nb = notebooks.read(path)
        stamp = nb["metadata"].get("lbdl", {})
        if "seconds" not in stamp:
            continue
        waits = [w["silent_s"] for w in notebooks.silences(nb, stamp.get("long_cells_s", {}), limit=0.0)]
        stats[path.name] = {"seconds": stamp["seconds"], "peak_rss_mb": stamp["peak_rss_mb"],
                            "silent_s": max(waits, default=0.0)}
        if stamp.get("matmul_gflops"):
            stats[path.name]["gflops"] = stamp["matmul_gflops"]
    return stats


def measure(path: Path, scale: str) -> dict:
    """Run ``path`` at ``scale`` alone with an empty zoo; its time, peak memory and longest silent wait."""
    import os

    from run_notebook import run

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LBDL_CACHE"] = str(Path(tmp) / "zoo")
        stats, _, out = run(path, Path(tmp), scale=scale)
        nb = notebooks.read(out)
        seconds = notebooks.cell_seconds(nb)
        silent = max((notebooks.longest_silence(c, seconds[c.get("id", str(i))])
                      for i, c in enumerate(nb["cells"]) if c.get("id", str(i)) in seconds), default=0.0)
    return stats | {"silent_s": round(silent, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--scale", choices=sorted(BUDGET_S), default="ci")
    ap.add_argument("--out", type=Path, help="also write the table here (markdown)")
    args = ap.parse_args(argv)
    targets = args.notebooks or notebooks.paths(ROOT / "notebooks")
    gflops = matmul_gflops()
    print(f"this machine: {gflops:.0f} GFLOP/s", flush=True)
    stats = {}
    for path in targets:
        stats[path.name] = measure(path, args.scale)
        print(f"{path.name}: {stats[path.name]['seconds']} s", flush=True)
    gflops = (gflops + matmul_gflops()) / 2  # before and after: the machine's speed can drift during the run
    from lbdlutils.device import available_cpus

    lines = [f"# Budgets at {args.scale}", "", *table(stats, gflops, args.scale, "One notebook at a time on the "
             f"{available_cpus()} usable CPU(s), an empty zoo (a first visit)")]
    print("\n".join(lines))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    late = over_budget(stats, gflops, args.scale)
    if late:
        print(f"over budget on the reference machine: {', '.join(late)}", file=sys.stderr)
    return 1 if late else 0


if __name__ == "__main__":
    sys.exit(main())
