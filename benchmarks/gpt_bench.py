"""Training speed of the chapter-5 character GPT (4 layers, 4 heads, 128 wide, context 64, batch 12)
against a plain reference GPT of the same size, measured in one process on the same batches in
alternating blocks, lever by lever; then the model FLOP/s as a fraction of this machine's matmul peak.
Not a test: numbers depend on the machine (compare the ratios, which are measured side by side).

    python benchmarks/gpt_bench.py [--blocks 16] [--steps 25] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

import lbdlutils as lbdl

CONTEXT, DIM, HEADS, LAYERS = 64, 128, 4, 4


class PlainBlock(nn.Module):
    """The plainest pre-norm block: one qkv projection, PyTorch's causal attention, a 4× MLP."""

    def __init__(self) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.qkv, self.proj = nn.Linear(DIM, 3 * DIM), nn.Linear(DIM, DIM)
        self.mlp = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, HEADS, -1).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, DIM))
        return x + self.mlp(self.ln2(x))


class PlainGPT(nn.Module):
    """Reference: PyTorch's default initialisation, separate input and output embeddings."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, DIM), nn.Embedding(CONTEXT, DIM)
        self.blocks = nn.Sequential(*[PlainBlock() for _ in range(LAYERS)])
        self.ln, self.head = nn.LayerNorm(DIM), nn.Linear(DIM, vocab, bias=False)
        self.context = CONTEXT

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        return self.head(self.ln(self.blocks(x)))


def variants(vocab: int, lr: float) -> dict[str, tuple[nn.Module, torch.optim.Optimizer]]:
    """Reference; our GPT with the reference's choices; then each lever alone; then our defaults."""
    def ours(**levers):
        torch.manual_seed(0)
        kw = {"bias": True, "tie_weights": False, "gpt2_init": False} | levers
        return lbdl.models.GPT(vocab, DIM, HEADS, LAYERS, CONTEXT, **kw)

    def plain_adamw(m, fused=False):
        return torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=0.1, fused=fused)

    torch.manual_seed(0)
    ref = PlainGPT(vocab)
    rows = {"reference (plain GPT, default AdamW)": (ref, plain_adamw(ref))}
    m = ours()
    rows["lbdl GPT, the reference's choices"] = (m, plain_adamw(m))
    m = ours()
    rows["  + fused AdamW only"] = (m, plain_adamw(m, fused=True))
    m = ours(tie_weights=True)
    rows["  + weight tying only"] = (m, plain_adamw(m))
    m = ours(gpt2_init=True)
    rows["  + GPT-2 initialisation only"] = (m, plain_adamw(m))
    m = ours()
    rows["  + no decay on norms, biases only"] = (m, lbdl.train.adamw(m, lr, weight_decay=0.1, fused=False))
    m = ours(bias=False)
    rows["  + no biases only"] = (m, plain_adamw(m))
    torch.manual_seed(0)
    m = lbdl.models.GPT(vocab, DIM, HEADS, LAYERS, CONTEXT)
    rows["lbdl GPT as shipped (defaults + train.adamw)"] = (m, lbdl.train.adamw(m, lr, weight_decay=0.1))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", type=int, default=16, help="alternating blocks per variant")
    ap.add_argument("--steps", type=int, default=25, help="training steps per block")
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    lbdl.set_scale("small")
    threads = lbdl.configure_threads(args.threads)
    corpus = lbdl.zoo.corpus("gpt-python", "small")
    gen = torch.Generator().manual_seed(0)
    total = args.blocks * args.steps
    data = [lbdl.train.lm_batch(corpus.train_ids, args.batch, CONTEXT, gen) for _ in range(total)]
    rows = variants(len(corpus.vocab), args.lr)
    times: dict[str, list[float]] = {name: [] for name in rows}
    print(f"{len(rows)} variants × {args.blocks} alternating blocks of {args.steps} steps, batch {args.batch}×"
          f"{CONTEXT}, {threads} thread(s), vocabulary {len(corpus.vocab)}")
    for model, opt in rows.values():  # warm-up, not timed
        step(model, opt, *data[0])
    names = list(rows)
    for b in lbdl.progress(range(args.blocks), desc="blocks"):
        for name in names[b % len(names):] + names[:b % len(names)]:  # rotate: no variant always goes first
            model, opt = rows[name]
            start = time.perf_counter()
            for x, y in data[b * args.steps:(b + 1) * args.steps]:
                step(model, opt, x, y)
            times[name].append((time.perf_counter() - start) / args.steps)
    ref_name = next(iter(rows))
    ref = statistics.median(times[ref_name])
    print(f"\n{'variant':<46} {'ms/step':>8} {'speed vs reference':>19} {'val loss after ' + str(total):>22}")
    for name, (model, _) in rows.items():
        ms = statistics.median(times[name])
        loss = lbdl.train.lm_loss(model, corpus.val_ids, CONTEXT)
        print(f"{name:<46} {ms * 1e3:>8.1f} {ref / ms:>18.3f}× {loss:>22.3f}")
    ours = list(rows)[-1]
    ratio = ref / statistics.median(times[ours])
    # Per-block ratios, each measured back to back: their spread says how much to trust the median.
    per_block = sorted(r / o for r, o in zip(times[ref_name], times[ours]))
    print(f"\nA/B ratio (reference time / lbdl GPT time per step): {ratio:.3f} "
          f"(per block {per_block[0]:.3f}…{per_block[-1]:.3f}); goal ≥ 1.05: {'met' if ratio >= 1.05 else 'NOT met'}")

    model = rows[ours][0]
    n_params = sum(p.numel() for p in model.parameters())
    tokens_s = args.batch * CONTEXT / statistics.median(times[ours])
    flops = 6 * n_params * tokens_s  # forward + backward ≈ 6 FLOPs per parameter per token
    peak = max(lbdl.bench.matmul_gflops(n) for n in (512, 1024)) * 1e9
    print(f"lbdl GPT: {n_params:,} parameters, {tokens_s / (args.batch * CONTEXT):.1f} steps/s, "
          f"{tokens_s:,.0f} tokens/s, {flops / 1e9:.1f} GFLOP/s of model FLOPs = {flops / peak:.1%} of the "
          f"measured matmul peak ({peak / 1e9:.0f} GFLOP/s)")


def step(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor) -> None:
    """One training step: forward, backward, update (no clipping or schedule: the same for all)."""
    loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


if __name__ == "__main__":
    main()
