"""Execute one notebook headless with papermill; print its wall time and the kernel's peak memory.

    python scripts/run_notebook.py IN.ipynb OUT.ipynb [--scale ci] [--seed 0] [--metrics FILE] [--watched]

Without --scale nothing is injected and the notebook runs at its default (small) scale. Run one
notebook per process: the peak memory read here is the largest child's (the kernel's) so far.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def run(path: Path, folder: Path, scale: str | None = None, seed: int = 0) -> tuple[dict, list[dict], Path]:
    """Run ``path`` in a fresh process (so the peak memory is its own) with outputs under ``folder``.

    Returns (stats, metric records, executed copy); raises RuntimeError with the notebook's error.
    """
    out, metrics = Path(folder) / path.name, Path(folder) / "metrics.jsonl"
    params = ["--scale", scale, "--seed", str(seed)] if scale else []
    done = subprocess.run([sys.executable, __file__, str(path), str(out), "--metrics", str(metrics), *params],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{path.name} failed at {scale or 'its default'} scale:\n{done.stderr[-4000:]}")
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    records = [json.loads(line) for line in metrics.read_text().splitlines()] if metrics.exists() else []
    return stats, records, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("--scale", choices=["ci", "small", "full"], help="inject SCALE (and SEED)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--metrics", type=Path, help="append the notebook's metric records here (JSON lines)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")
    ap.add_argument("--watched", action="store_true",
                    help="run as a reader's kernel does: tqdm bars and live widgets instead of one-line summaries")
    args = ap.parse_args(argv)
    if not args.input.is_file():
        ap.error(f"no notebook at {args.input}")

    # headless: progress as one line, knobs drawn once (see lbdlutils.session)
    os.environ["LBDL_HEADLESS"] = "0" if args.watched else "1"
    os.environ.pop("LBDL_SCALE", None)  # the injected parameter (or the notebook's default) decides
    if args.metrics:
        os.environ["LBDL_METRICS"] = str(args.metrics.resolve())
    import papermill as pm

    params = {"SCALE": args.scale, "SEED": args.seed} if args.scale else {}
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(args.input), str(args.output), parameters=params, kernel_name="python3",
                            cwd=str(args.input.resolve().parent), progress_bar=False,
                            execution_timeout=args.timeout)
    except pm.PapermillExecutionError as err:
        print(f"{args.input.name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}\n"
              f"(the executed copy with the traceback is {args.output})", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"notebook": args.input.name, "scale": args.scale or "small",
                      "seconds": round(seconds, 1), "peak_rss_mb": round(rss_kb / 1024)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
