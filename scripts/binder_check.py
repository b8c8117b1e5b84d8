"""`make binder-check`: each notebook at `small` as Binder runs it: one CPU, 2 GB of memory, no network.

    python scripts/binder_check.py [NOTEBOOK ...] [--out binder-check]

Each notebook runs headless in a fresh process, with an empty model zoo (a first visit: what it needs
is trained, not loaded), inside a Linux control group limited to one CPU (cfs quota = period) and
2 GB, seen by the process as its container's own quota, in a network namespace with only loopback.
Budget on the slowest machine of our kind (REFERENCE_GFLOPS): 5 minutes per notebook, 8 for chapters
6 and 7. Each time is printed beside this machine's float32 matmul speed (measured before and after)
and scaled to that machine, as make budgets does. Prints one line per notebook (time here and there,
peak resident memory of the kernel, the group's peak memory, the longest wait without progress) and
writes them to --out/results.json; exits non-zero if a notebook fails or runs over there. Needs root,
cgroup v1 and `unshare`; otherwise it says why it skips and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import budgets  # noqa: E402  (scripts/ is on sys.path when the script runs)
import nbtools  # noqa: E402

CGROUP = Path("/sys/fs/cgroup")
MEMORY_BYTES = 2_000_000_000
BUDGET_S = {"06": 480, "07": 480}  # chapters 6 and 7 train the most; every other notebook: 300


def why_not() -> str | None:
    """Why the limits cannot be set up here, or None when they can."""
    if sys.platform != "linux":
        return f"needs Linux control groups; this is {sys.platform}"
    if os.geteuid() != 0:
        return "needs root to create control groups and namespaces (try: sudo make binder-check)"
    if (CGROUP / "cgroup.controllers").exists():
        return ("this machine has cgroup v2, and this check drives cgroup v1; for the same limits run "
                "systemd-run --scope -p CPUQuota=100% -p MemoryMax=2G make render")
    if not (CGROUP / "cpu").is_dir() or not (CGROUP / "memory").is_dir():
        return "no cgroup v1 cpu and memory hierarchies under /sys/fs/cgroup"
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "needs unshare (util-linux) and ip (iproute2)"
    return None


def run_limited(notebook: Path, out: Path) -> dict:
    """Run one notebook at small under one CPU, 2 GB and no network; its stats."""
    name = f"lbdl-binder-{os.getpid()}-{notebook.stem[:2]}"
    cpu, mem = CGROUP / "cpu" / name, CGROUP / "memory" / name
    cpu.mkdir(), mem.mkdir()
    try:
        (cpu / "cpu.cfs_period_us").write_text("100000")
        (cpu / "cpu.cfs_quota_us").write_text("100000")  # one CPU's worth of time per period
        (mem / "memory.limit_in_bytes").write_text(str(MEMORY_BYTES))
        zoo = tempfile.mkdtemp(prefix="lbdl-binder-zoo-")
        inner = (f"ip link set lo up && mount --bind {cpu} {CGROUP / 'cpu'} && LBDL_CACHE={zoo} exec "
                 f"{sys.executable} {ROOT / 'scripts' / 'run_notebook.py'} {notebook} {out / notebook.name}")
        outer = (f"echo $$ > {cpu / 'tasks'} && echo $$ > {mem / 'tasks'} && "
                 f"exec unshare --mount --net bash -c '{inner}'")
        start = time.monotonic()
        done = subprocess.run(["bash", "-c", outer], capture_output=True, text=True)
        stats = {"notebook": notebook.name, "seconds": round(time.monotonic() - start, 1)}
        stats["group_peak_mb"] = round(int((mem / "memory.max_usage_in_bytes").read_text()) / 1e6)
        stats["failcnt"] = int((mem / "memory.failcnt").read_text())
        shutil.rmtree(zoo, ignore_errors=True)
        if done.returncode:
            return stats | {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
        return stats | json.loads(done.stdout.strip().splitlines()[-1]) | quietest(out / notebook.name)
    finally:
        for group in (cpu, mem):  # empty once the processes ended
            for _ in range(10):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.5)


def quietest(executed: Path) -> dict:
    """The longest a reader of this run would have waited with nothing moving, and where."""
    nb = nbtools.read(executed)
    seconds = nbtools.cell_seconds(nb)
    waits = [(nbtools.longest_silence(cell, seconds[cell["id"]]), i, nbtools.source(cell).strip().split("\n")[0])
             for i, cell in enumerate(nb["cells"]) if cell.get("id") in seconds]
    wait, index, first = max(waits, default=(0.0, -1, ""))
    return {"longest_silence_s": round(wait, 1), "silent_cell": index, "silent_cell_starts": first[:60]}


def record(results: list[dict], gflops: int) -> None:
    """Keep each notebook's latest result in benchmarks/binder-small.json and README's "1 CPU" column."""
    kept = json.loads(nbtools.BINDER.read_text()) if nbtools.BINDER.is_file() else {}
    day = time.strftime("%Y-%m-%d")
    for r in results:
        kept[r["notebook"]] = {k: r[k] for k in ("seconds", "group_peak_mb", "peak_rss_mb", "error") if k in r} | {
            "gflops": gflops, "date": day}
    nbtools.BINDER.write_text(json.dumps(dict(sorted(kept.items())), indent=1) + "\n")
    from render import write_readme_costs

    write_readme_costs()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    ap.add_argument("--out", type=Path, default=ROOT / "binder-check")
    args = ap.parse_args()
    reason = why_not()
    if reason:
        print(f"binder-check skipped: {reason}")
        return 0
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    gflops = budgets.matmul_gflops()
    print(f"this machine: {gflops:.0f} GFLOP/s (float32 matmul, 2 threads); times are scaled to the slowest "
          f"machine of our kind, {nbtools.REFERENCE_GFLOPS:.0f} GFLOP/s", flush=True)
    results, failed = [], []
    for path in paths:
        stats = run_limited(path, args.out)
        budget = BUDGET_S.get(path.name[:2], 300)
        there = budgets.scaled(stats["seconds"], gflops)
        ok = "error" not in stats and there <= budget
        stats |= {"budget_s": budget, "passed": ok, "gflops": round(gflops), "reference_s": round(there)}
        results.append(stats)
        detail = stats.get("error") or (f"{stats['seconds']:.0f} s here, {there:.0f} s on the slowest machine "
                                        f"(budget {budget} s), kernel peak "
                                        f"{stats['peak_rss_mb']} MB, group peak {stats['group_peak_mb']} MB, "
                                        f"longest wait without progress {stats['longest_silence_s']} s "
                                        f"(cell {stats['silent_cell']})")
        print(f"{'PASS' if ok else 'FAIL'} {path.name}: {detail}", flush=True)
        if not ok:
            failed.append(path.name)
    after = budgets.matmul_gflops()
    print(f"this machine after the run: {after:.0f} GFLOP/s (before: {gflops:.0f})")
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    record(results, round((gflops + after) / 2))
    print(f"{len(paths) - len(failed)} of {len(paths)} notebooks ran at small within budget under one CPU, "
          f"{MEMORY_BYTES / 1e9:.0f} GB and no network")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
