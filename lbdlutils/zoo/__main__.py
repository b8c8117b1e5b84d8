"""``python -m lbdlutils.zoo --scale small --out DIR``: pre-train every recipe into a class's shared folder.

Then point the students' kernels at it, read-only: ``LBDL_ZOO_SHARED=DIR`` (README, Teaching).
``python -m lbdlutils.zoo --ship --scale small`` trains them into the package's own folder instead
(float16, with their metrics): the copies every install loads when nothing nearer has the model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import PACKAGE, RECIPES, build, ship


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lbdlutils.zoo", description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help=f"recipes to train (default: all of {', '.join(sorted(RECIPES))})")
    p.add_argument("--scale", default="small", help="ci, small or full (default small)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="the shared folder to fill")
    p.add_argument("--ship", action="store_true", help=f"train the package's own copies into {PACKAGE}")
    args = p.parse_args(argv)
    if args.ship:
        for name in args.names or sorted(RECIPES):
            m = ship(name, args.scale, args.seed)
            print(f"{name} ({args.scale}): {m['train_seconds']:.1f} s, held-out loss {m['shipped val loss']:.4g} "
                  f"{RECIPES[name].unit} (float16)")
        return 0
    if args.out is None:
        p.error("--out DIR is needed (or --ship)")
    seconds = build(args.out, args.scale, args.seed, args.names or None)
    for name, s in seconds.items():
        print(f"{name}: {s:.1f} s")
    print(f"zoo: {len(seconds)} models at {args.scale} in {args.out}; share it read-only with LBDL_ZOO_SHARED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
