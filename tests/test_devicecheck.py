"""LBDL_DEVICE=check: the CPU refuses what CUDA or MPS would, and lets through what they allow.

The check patches torch for the rest of its process (a notebook's kernel), so each case runs in a
fresh interpreter. Chapter 8's DARE merge is the case issue 30 names: its mask, drawn on the CPU,
must be moved to the task vector's device; without that move the check must fail.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbtools as notebooks
import pytest

from lbdlutils import device

ROOT = Path(__file__).resolve().parent.parent

PRELUDE = """
import os
os.environ["LBDL_HEADLESS"] = "1"  # lbdl.progress as in make test's kernels
import torch, numpy as np, torch.nn.functional as F
from torch import nn
import lbdlutils as lbdl
from lbdlutils.device import check as devicecheck
dev = lbdl.get_device("check")
"""

REFUSED = {
    "a CPU tensor mixed in": "torch.randn(4, 3, device=dev) + torch.ones(4, 3)",
    "numpy() on the device": "torch.randn(3, device=dev).numpy()",
    "np.asarray on the device": "np.asarray(torch.randn(3, device=dev))",
    "float64 on the device": "torch.randn(3, device=dev).double()",
    "a float64 tensor moved there": "torch.zeros(3, dtype=torch.float64).to(dev)",
    "a model made float64 there": "nn.Linear(2, 2).to(dev).double()",
    "CTC, which MPS lacks": "F.ctc_loss(torch.randn(5, 1, 3, device=dev).log_softmax(-1), torch.tensor([[1]]),"
                            " [5], [1])",
    "a CPU generator for a draw there": "torch.rand(3, device=dev, generator=torch.Generator().manual_seed(0))",
    "a device generator for a CPU draw": "torch.rand(3, generator=torch.Generator(device=dev))",
    "Tensor.cuda()": "torch.ones(2).cuda()",
    "a CPU buffer in a moved model": "m = nn.Linear(3, 3).to(dev); m(torch.ones(2, 3))",
    "a mix in a loop's first step": "for k in lbdl.progress(range(5)):\n    torch.ones(2, device=dev) + torch.ones(2)",
}

ALLOWED = """
m = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)).to(dev)
x = torch.randn(5, 3, device=dev)
opt = torch.optim.AdamW(m.parameters(), 1e-2)
loss = F.cross_entropy(m(x), torch.tensor([0, 1, 0, 1, 1]).to(dev))
loss.backward(); opt.step()
assert devicecheck.on_device(m[0].weight) and devicecheck.on_device(m[0].weight.grad)
x.requires_grad_()
(g,) = torch.autograd.grad(m(x).sum(), [x])
assert devicecheck.on_device(g)  # what autograd.grad returns lives with its input
y = x * torch.tensor(2.0) + g  # a 0-dimensional CPU tensor is a scalar, on a GPU too
y[torch.tensor([0, 2])] = 0.0  # CPU index tensors are fine
picked = x[torch.tensor([1, 3])]
out = {"numpy": x.detach().cpu().numpy().shape, "item": float(y.sum()), "cpu": devicecheck.on_device(x.cpu()),
       "device": str(picked.device), "to_cpu_double": x.detach().to("cpu").double().dtype == torch.float64}
cpu_model = m.cpu()
assert not devicecheck.on_device(cpu_model[0].weight)
cpu_model(torch.ones(2, 3))
probs = torch.tensor([[0.1, 0.9], [0.5, 0.5]], device=dev)
seeded = lambda: lbdl.device.multinomial(probs, 1, generator=torch.Generator().manual_seed(0))
out["multinomial"] = devicecheck.on_device(seeded()) and torch.equal(seeded(), seeded())
gpt = lbdl.models.gpt.GPT(11, dim=8, heads=2, layers=1, context=4).to(dev)
ids = gpt.generate(torch.zeros(1, 1, dtype=torch.long, device=dev), 5, generator=torch.Generator().manual_seed(0))
out["generate"] = list(ids.shape)
out["ctc_kernel"] = [lbdl.device.has_kernel(dev, "ctc_loss"), lbdl.device.has_kernel("cpu", "ctc_loss")]
for k in lbdl.progress(range(6), desc="loop"):  # a loop is checked for its first steps, then runs at full speed
    if k >= devicecheck.FIRST_STEPS:
        torch.ones(2, device=dev) + torch.ones(2)
try:
    torch.ones(2, device=dev) + torch.ones(2)
    out["checked_after_the_loop"] = False
except devicecheck.DeviceError:
    out["checked_after_the_loop"] = True
print(json.dumps(out))
"""


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE + "import json\n" + textwrap.dedent(code)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_each_refusal() -> None:
    """Every case in one interpreter: each must raise DeviceError, and the error says what to do."""
    loop = ("caught = {}\nfor case, code in CASES.items():\n    try:\n        exec(code, {**globals()})\n"
            "        caught[case] = None\n    except devicecheck.DeviceError as err:\n        caught[case] = str(err)\n"
            "print(json.dumps(caught))")
    done = run(f"CASES = {REFUSED!r}\n" + loop)
    assert done.returncode == 0, done.stderr[-2000:]
    caught = json.loads(done.stdout.strip().splitlines()[-1])
    assert [case for case, err in caught.items() if err is None] == [], "let through"
    assert all("On CUDA or MPS this fails" in err for err in caught.values())


def test_what_a_gpu_allows_passes() -> None:
    done = run(ALLOWED)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["device"] == "cpu:0" and out["cpu"] is False and out["to_cpu_double"] is True
    assert out["multinomial"] is True and out["generate"] == [1, 6]
    assert out["ctc_kernel"] == [False, True]  # the check plays MPS for the operators MPS lacks
    assert out["checked_after_the_loop"] is True


def dare_cell() -> str:
    """The code of chapter 8's cell that defines dare() (and ties, trim, merged_model)."""
    nb = notebooks.read(ROOT / "notebooks" / "08_the_compute_schism.ipynb")
    return next(notebooks.source(c) for c in nb["cells"] if "def dare(" in notebooks.source(c))


DARE_CALL = """
tau = torch.randn(4, 6).to(dev)
merged = dare(tau, 0.9, torch.Generator().manual_seed(0))
print(json.dumps({"on_device": devicecheck.on_device(merged), "kept": int((merged != 0).sum())}))
"""


def test_dare_as_committed_passes_and_the_reverted_fix_fails() -> None:
    cell = dare_cell()
    fixed = run(cell + DARE_CALL)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert json.loads(fixed.stdout.strip().splitlines()[-1])["on_device"] is True
    reverted = re.sub(r"\)\.to\(tau\.device\)", ")", cell)  # the mask left on the CPU, as before issue 30
    assert reverted != cell, "chapter 8's dare() no longer moves its mask with .to(tau.device): update this test"
    broken = run(reverted + DARE_CALL)
    assert broken.returncode != 0 and "DeviceError" in broken.stderr and "mixes tensors" in broken.stderr


def test_check_is_a_device_name() -> None:
    assert "check" in device.VALID_DEVICES
    with pytest.raises(ValueError, match="valid devices are"):
        device.get_device("tpu")
