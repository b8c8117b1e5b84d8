"""Training speed of the chapter-5 character GPT (4 layers, 4 heads, 128 wide, context 64, ~0.8 M
parameters) on the stdlib corpus: steps/s, tokens/s, and model FLOP/s as a fraction of this machine's
measured matmul peak. Not a test: numbers depend on the machine.

    python benchmarks/gpt_bench.py [--steps 200] [--batch 12] [--threads N]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

import lbdlutils as lbdl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    lbdl.set_scale("small")
    threads = lbdl.configure_threads(args.threads)
    text = lbdl.text.python_corpus(500_000)
    vocab = lbdl.text.CharVocab.from_text(text)
    data = vocab.encode(text)
    torch.manual_seed(0)
    model = lbdl.models.GPT(len(vocab), dim=128, heads=4, layers=4, context=64)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)

    def step() -> None:
        starts = torch.randint(0, len(data) - 65, (args.batch,), generator=gen)
        x = torch.stack([data[s:s + 64] for s in starts])
        y = torch.stack([data[s + 1:s + 65] for s in starts])
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    steps_s = args.steps / seconds
    tokens_s = steps_s * args.batch * 64
    flops = 6 * n_params * tokens_s  # forward + backward ≈ 6 FLOPs per parameter per token
    peak = max(lbdl.bench.matmul_gflops(n) for n in (512, 1024)) * 1e9
    print(f"GPT {n_params:,} parameters, batch {args.batch}×64, {threads} thread(s)")
    print(f"{steps_s:.1f} steps/s, {tokens_s:,.0f} tokens/s, {flops / 1e9:.1f} GFLOP/s model FLOPs "
          f"= {flops / peak:.1%} of the measured matmul peak ({peak / 1e9:.0f} GFLOP/s)")


if __name__ == "__main__":
    main()
