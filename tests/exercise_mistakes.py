"""Plausible mistakes for every exercise, each of which its checker must reject (tests/test_exercise_checkers.py).

Each entry defines the exercise's function as a student who made that mistake would.
"""

MISTAKES: dict[str, dict[str, str]] = {
    "1.1 least squares": {
        "drops the Φᵀ on the right-hand side": "def least_squares(Phi, y):\n"
        "    return torch.linalg.solve(Phi.T @ Phi, y[: Phi.shape[1]])",
        "leaves a small ridge term in": "def least_squares(Phi, y):\n    K = Phi.shape[1]\n"
        "    return torch.linalg.solve(Phi.T @ Phi + 1e-3 * torch.eye(K, dtype=Phi.dtype), Phi.T @ y)",
        "works in float32": "def least_squares(Phi, y):\n"
        "    return torch.linalg.solve((Phi.T @ Phi).float(), (Phi.T @ y).float()).double()",
        "off by one: leaves out the last sample": "def least_squares(Phi, y):\n"
        "    return torch.linalg.solve(Phi[:-1].T @ Phi[:-1], Phi[:-1].T @ y[:-1])",
    },
    "1.2 ridge regression": {
        "a missing scale factor: λ, not Nλ": "def ridge(Phi, y, lam):\n    K = Phi.shape[1]\n"
        "    return torch.linalg.solve(Phi.T @ Phi + lam * torch.eye(K, dtype=Phi.dtype), Phi.T @ y)",
        "shrinks the least-squares weights by 1 + λ": "def ridge(Phi, y, lam):\n"
        "    return torch.linalg.solve(Phi.T @ Phi, Phi.T @ y) / (1 + lam)",
        "off by one: (N − 1)λ": "def ridge(Phi, y, lam):\n    N, K = Phi.shape\n"
        "    return torch.linalg.solve(Phi.T @ Phi + (N - 1) * lam * torch.eye(K, dtype=Phi.dtype), Phi.T @ y)",
    },
    "1.3 the M-step": {
        "unweighted means": "def m_step(x, r):\n    counts = r.sum(0)\n    mu = x.mean(0).expand(r.shape[1], -1)\n"
        "    diff = x[None] - mu[:, None]\n    Sigma = torch.einsum('kn,kni,knj->kij', r.T, diff, diff) / "
        "counts[:, None, None]\n    return counts / len(x), mu, Sigma",
        "covariance divided by N − 1": "def m_step(x, r):\n    counts = r.sum(0)\n    mu = (r.T @ x) /"
        " counts[:, None]\n"
        "    diff = x[None] - mu[:, None]\n    Sigma = torch.einsum('kn,kni,knj->kij', r.T, diff, diff) / "
        "(counts[:, None, None] - 1)\n    return counts / len(x), mu, Sigma",
        "weights not normalised (counts for π)": "def m_step(x, r):\n    counts = r.sum(0)\n"
        "    mu = (r.T @ x) / counts[:, None]\n    diff = x[None] - mu[:, None]\n"
        "    Sigma = torch.einsum('kn,kni,knj->kij', r.T, diff, diff) / counts[:, None, None]\n"
        "    return counts, mu, Sigma",
        "second moments about zero, not about the mean": "def m_step(x, r):\n    counts = r.sum(0)\n"
        "    mu = (r.T @ x) / counts[:, None]\n    Sigma = torch.einsum('kn,ni,nj->kij', r.T, x, x) / "
        "counts[:, None, None]\n    return counts / len(x), mu, Sigma",
    },
    "2.1 convolution FLOPs": {
        "counts a multiply-add as one operation": "def conv_flops(B, C, D, H, W, k):\n    return B * D * H * W"
        " * C * k * k",
        "forgets the batch": "def conv_flops(B, C, D, H, W, k):\n    return 2 * D * H * W * C * k * k",
        "k where k² is due": "def conv_flops(B, C, D, H, W, k):\n    return 2 * B * D * H * W * C * k",
    },
    "2.2 arithmetic intensity": {
        "forgets the output's bytes": "def intensity(n, k, m):\n    return 2 * n * k * m / (4 * (n * k + k * m))",
        "elements, not bytes": "def intensity(n, k, m):\n    return 2 * n * k * m / (n * k + k * m + n * m)",
        "a multiply-add counted once": "def intensity(n, k, m):\n    return n * k * m / (4 * (n * k + k * m + n * m))",
    },
    "2.3 stable softmax": {
        "not stable: no maximum subtracted (overflows at large values)": "def stable_softmax(z, dim):\n"
        "    e = z.exp()\n    return e / e.sum(dim, keepdim=True)",
        "subtracts the global maximum, not each row's": "def stable_softmax(z, dim):\n    e = (z - z.max()).exp()\n"
        "    return e / e.sum(dim, keepdim=True)",
        "a wrong axis: always the last one": "def stable_softmax(z, dim):\n    e = (z - z.amax(-1,"
        " keepdim=True)).exp()\n"
        "    return e / e.sum(-1, keepdim=True)",
    },
    "3.1 perplexity": {
        "forgets the exponential": "def perplexity(logits, targets):\n"
        "    return -logits.log_softmax(-1).gather(-1, targets[..., None]).mean()",
        "a wrong axis: log-softmax over the batch": "def perplexity(logits, targets):\n"
        "    return (-logits.log_softmax(0).gather(-1, targets[..., None]).mean()).exp()",
        "sums instead of averaging": "def perplexity(logits, targets):\n"
        "    return (-logits.log_softmax(-1).gather(-1, targets[..., None]).sum()).exp()",
    },
    "3.2 momentum": {
        "steps along the old velocity": "def momentum_step(w, v, grad, lr, mu):\n    return w - lr * v, mu * v + grad",
        "dampening: v = μv + (1 − μ)g": "def momentum_step(w, v, grad, lr, mu):\n    v = mu * v + (1 - mu) * grad\n"
        "    return w - lr * v, v",
        "Nesterov's look-ahead": "def momentum_step(w, v, grad, lr, mu):\n    v = mu * v + grad\n"
        "    return w - lr * (grad + mu * v), v",
    },
    "3.3 linear layer backward": {
        "a wrong axis: ∂W transposed": "def linear_backward(x, W, grad_y):\n"
        "    return grad_y @ W, (x.T @ grad_y).reshape(W.shape), grad_y.sum(0)",
        "the bias gradient averaged over the batch": "def linear_backward(x, W, grad_y):\n"
        "    return grad_y @ W, grad_y.T @ x, grad_y.mean(0)",
        "the bias gradient of the first sample only": "def linear_backward(x, W, grad_y):\n"
        "    return grad_y @ W, grad_y.T @ x, grad_y[0]",
    },
    "4.1 convolution output size": {
        "ignores the dilation": "def conv_output_size(W, k, stride, padding, dilation):\n"
        "    return (W + 2 * padding - k) // stride + 1",
        "pads one side only": "def conv_output_size(W, k, stride, padding, dilation):\n"
        "    return (W + padding - dilation * (k - 1) - 1) // stride + 1",
        "rounds up": "def conv_output_size(W, k, stride, padding, dilation):\n"
        "    return -(-(W + 2 * padding - dilation * (k - 1) - 1) // stride) + 1",
    },
    "4.2 max pooling": {
        "averages instead of taking the maximum": "def max_pool(x, k):\n    B, C, H, W = x.shape\n"
        "    return x.reshape(B, C, H // k, k, W // k, k).mean(dim=(3, 5))",
        "splits the axes in the wrong order": "def max_pool(x, k):\n    B, C, H, W = x.shape\n"
        "    return x.reshape(B, C, H // k, W // k, k, k).amax(dim=(4, 5))",
        "pools rows only": "def max_pool(x, k):\n    B, C, H, W = x.shape\n"
        "    return x.reshape(B, C, H // k, k, W).amax(3)[..., ::k]",
    },
    "4.3 attention without loops": {
        "a missing scale factor: no 1/√d": "def attention(q, k, v, causal):\n    scores = q @ k.transpose(-2, -1)\n"
        "    if causal:\n        scores = scores.masked_fill(~torch.ones(q.shape[-2], k.shape[-2],"
        " dtype=torch.bool).tril(), "
        "float('-inf'))\n    return scores.softmax(-1) @ v",
        "a wrong axis: softmax over the queries": "def attention(q, k, v, causal):\n"
        "    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5\n    if causal:\n        scores ="
        " scores.masked_fill("
        "~torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril(), float('-inf'))\n    return"
        " scores.softmax(-2) @ v",
        "masks the past instead of the future": "def attention(q, k, v, causal):\n"
        "    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5\n    if causal:\n        scores ="
        " scores.masked_fill("
        "~torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).triu(), float('-inf'))\n    return"
        " scores.softmax(-1) @ v",
    },
    "5.1 bottleneck parameters": {
        "forgets the batch norms": "def bottleneck_parameters(c_in, mid, c_out, stride):\n"
        "    body = c_in * mid + 9 * mid * mid + mid * c_out\n"
        "    return body + (0 if stride == 1 and c_in == c_out else c_in * c_out)",
        "a projection only when the channels change (a stride above 1 forgotten)":
        "def bottleneck_parameters(c_in, mid, c_out, stride):\n"
        "    body = c_in * mid + 9 * mid * mid + mid * c_out + 2 * (mid + mid + c_out)\n"
        "    return body + (0 if c_in == c_out else c_in * c_out + 2 * c_out)",
        "the 3×3 convolution counted as 1×1": "def bottleneck_parameters(c_in, mid, c_out, stride):\n"
        "    body = c_in * mid + mid * mid + mid * c_out + 2 * (mid + mid + c_out)\n"
        "    return body + (0 if stride == 1 and c_in == c_out else c_in * c_out + 2 * c_out)",
    },
    "5.3 top-k filtering": {
        "off by one: keeps k + 1": "def top_k_filter(logits, k):\n"
        "    kth = logits.topk(min(k + 1, logits.shape[-1]), dim=-1).values[..., -1:]\n"
        "    return logits.masked_fill(logits < kth, float('-inf'))",
        "a wrong axis: the top k of each column": "def top_k_filter(logits, k):\n"
        "    if logits.dim() < 2 or logits.shape[0] < k:\n        return logits\n"
        "    kth = logits.topk(k, dim=0).values[-1:]\n    return logits.masked_fill(logits < kth, float('-inf'))",
        "zeros where −∞ is due": "def top_k_filter(logits, k):\n    kth = logits.topk(k, dim=-1).values[..., -1:]\n"
        "    return logits.masked_fill(logits < kth, 0.0)",
    },
    "5.2 image patches": {
        "reshapes without permuting": "def patches(x, p):\n    B, C, H, W = x.shape\n"
        "    return x.reshape(B, (H // p) * (W // p), C * p * p)",
        "channels last inside a patch": "def patches(x, p):\n    B, C, H, W = x.shape\n"
        "    blocks = x.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1)\n"
        "    return blocks.reshape(B, (H // p) * (W // p), C * p * p)",
        "columns of patches before rows": "def patches(x, p):\n    B, C, H, W = x.shape\n"
        "    blocks = x.reshape(B, C, H // p, p, W // p, p).permute(0, 4, 2, 1, 3, 5)\n"
        "    return blocks.reshape(B, (H // p) * (W // p), C * p * p)",
    },
    "6.1 IoU of two boxes": {
        "no clamp at zero: boxes that miss get an overlap": "def iou(a, b):\n"
        "    inter = (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))\n"
        "    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])\n    return inter / (area(a) + area(b) - inter)",
        "over the smaller box, not the union": "def iou(a, b):\n"
        "    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))\n"
        "    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])\n    return inter / min(area(a), area(b))",
        "the union counts the overlap twice": "def iou(a, b):\n"
        "    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))\n"
        "    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])\n    return inter / (area(a) + area(b))",
    },
    "6.2 edit distance": {
        "a substitution costs 2": "def levenshtein(a, b):\n"
        "    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]\n"
        "    for i in range(1, len(a) + 1):\n        for j in range(1, len(b) + 1):\n"
        "            d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + 2 * (a[i-1] != b[j-1]))\n   "
        " return d[-1][-1]",
        "substitutions only, plus the difference in length": "def levenshtein(a, b):\n"
        "    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))",
        "forgets insertions": "def levenshtein(a, b):\n"
        "    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]\n"
        "    for i in range(1, len(a) + 1):\n        for j in range(1, len(b) + 1):\n"
        "            d[i][j] = min(d[i-1][j] + 1, d[i-1][j-1] + (a[i-1] != b[j-1]))\n    return d[-1][-1]",
    },
    "6.3 discounted returns": {
        "accumulates from the first reward forward": "def discounted_returns(rewards, gamma):\n    out, G = [], 0.0\n"
        "    for r in rewards:\n        G = r + gamma * G\n        out.append(G)\n    return out",
        "discounts the current reward too": "def discounted_returns(rewards, gamma):\n    out, G = [], 0.0\n"
        "    for r in reversed(rewards):\n        G = gamma * (r + G)\n        out.append(G)\n    return out[::-1]",
        "returns the first return only (a size of 1)": "def discounted_returns(rewards, gamma):\n"
        "    return [sum(gamma ** t * r for t, r in enumerate(rewards))]",
    },
    "7.1 min-p sampling": {
        "compares logits, not probabilities": "def min_p_filter(logits, min_p):\n"
        "    return logits.masked_fill(logits < min_p * logits.max(-1, keepdim=True).values, float('-inf'))",
        "a fraction of the total, not of the largest": "def min_p_filter(logits, min_p):\n"
        "    return logits.masked_fill(logits.softmax(-1) < min_p, float('-inf'))",
        "the largest of the whole batch, not of each row": "def min_p_filter(logits, min_p):\n"
        "    probs = logits.softmax(-1)\n    return logits.masked_fill(probs < min_p * probs.max(), float('-inf'))",
    },
    "7.2 x0 from the predicted noise": {
        "forgets the square roots": "def x0_from_noise(x_t, eps, alpha_bar_t):\n"
        "    return (x_t - (1 - alpha_bar_t) * eps) / alpha_bar_t",
        "adds the noise instead of removing it": "def x0_from_noise(x_t, eps, alpha_bar_t):\n"
        "    return (x_t + (1 - alpha_bar_t).sqrt() * eps) / alpha_bar_t.sqrt()",
        "removes the noise but does not rescale": "def x0_from_noise(x_t, eps, alpha_bar_t):\n"
        "    return x_t - (1 - alpha_bar_t).sqrt() * eps",
    },
    "7.3 Bradley–Terry by hand": {
        "log-odds of each answer's win rate": "def bt_scores(wins):\n"
        "    rate = wins.sum(1) / (wins.sum(1) + wins.sum(0))\n    r = (rate / (1 - rate)).log()\n    return r - r[2]",
        "stops gradient ascent after 10 steps": "def bt_scores(wins):\n"
        "    r = torch.zeros(3, dtype=torch.float64, requires_grad=True)\n    for _ in range(10):\n"
        "        ll = (wins * F.logsigmoid((r - r[2])[:, None] - (r - r[2])[None, :])).sum()\n"
        "        (g,) = torch.autograd.grad(ll, r)\n        r = (r + 0.05 * g).detach().requires_grad_(True)\n"
        "    return (r - r[2]).detach()",
        "reads wins transposed (who lost)": "def bt_scores(wins):\n"
        "    r = torch.zeros(3, dtype=torch.float64, requires_grad=True)\n"
        "    opt = torch.optim.LBFGS([r], max_iter=200, line_search_fn='strong_wolfe')\n"
        "    def closure():\n        opt.zero_grad()\n"
        "        loss = -(wins.T * F.logsigmoid((r - r[2])[:, None] - (r - r[2])[None, :])).sum()\n"
        "        loss.backward()\n        return loss\n    opt.step(closure)\n    return (r - r[2]).detach()",
    },
    "8.1 reading a Q4_0 block": {
        "forgets the offset of 8": "def read_q4_0(block):\n    d = block[:2].contiguous().view(torch.float16).float()\n"
        "    return d * torch.cat([block[2:] & 0x0F, block[2:] >> 4]).float()",
        "interleaves the nibbles (low, high of each byte)": "def read_q4_0(block):\n"
        "    d = block[:2].contiguous().view(torch.float16).float()\n"
        "    q = torch.stack([block[2:] & 0x0F, block[2:] >> 4], 1).flatten().float()\n    return d * (q - 8)",
        "reads the scale's bytes in the wrong order": "def read_q4_0(block):\n"
        "    d = block[:2].flip(0).contiguous().view(torch.float16).float()\n"
        "    return d * (torch.cat([block[2:] & 0x0F, block[2:] >> 4]).float() - 8)",
    },
    "8.2 the size of an adapter": {
        "counts A only": "def lora_size(d_in, d_out, r):\n    return r * d_in",
        "counts the full matrix": "def lora_size(d_in, d_out, r):\n    return d_in * d_out",
        "counts the frozen bias too": "def lora_size(d_in, d_out, r):\n    return r * (d_in + d_out) + d_out",
    },
    "8.3 task vectors on state dicts": {
        "an in-place change: updates the target": "def add_task(target, base, tuned, scale):\n    for k in target:\n"
        "        target[k] += scale * (tuned[k] - base[k])\n    return target",
        "a missing scale factor": "def add_task(target, base, tuned, scale):\n"
        "    return {k: target[k] + (tuned[k] - base[k]) for k in target}",
        "the vector from tuned to base": "def add_task(target, base, tuned, scale):\n"
        "    return {k: target[k] + scale * (base[k] - tuned[k]) for k in target}",
    },
    "9.1 the size of an LSTM": {
        "one bias per gate": "def lstm_parameters(d_in, hidden):\n    return 4 * hidden * (d_in + hidden + 1)",
        "three gates": "def lstm_parameters(d_in, hidden):\n    return 3 * hidden * (d_in + hidden + 2)",
        "forgets the recurrent weights": "def lstm_parameters(d_in, hidden):\n    return 4 * hidden * (d_in + 2)",
    },
    "9.2 composing two steps": {
        "the steps in the wrong order": "def compose(first, second):\n    (a1, b1), (a2, b2) = first, second\n"
        "    return a1 * a2, a1 * b2 + b1",
        "forgets to carry b1 through a2": "def compose(first, second):\n    (a1, b1), (a2, b2) = first, second\n"
        "    return a2 * a1, b1 + b2",
        "adds the gates instead of multiplying": "def compose(first, second):\n    (a1, b1), (a2, b2) = first, second\n"
        "    return a1 + a2, a2 * b1 + b2",
    },
    "9.3 what a node can see": {
        "Aᵏ without the identity: exactly k hops": "def receptive_field(A, i, k):\n"
        "    return set(torch.nonzero(torch.linalg.matrix_power(A, k)[i]).flatten().tolist())",
        "forgets the node itself": "def receptive_field(A, i, k):\n"
        "    reach = torch.linalg.matrix_power(A + torch.eye(len(A), dtype=A.dtype), k)\n"
        "    return set(torch.nonzero(reach[i]).flatten().tolist()) - {i}",
        "off by one: k − 1 hops": "def receptive_field(A, i, k):\n"
        "    reach = torch.linalg.matrix_power(A + torch.eye(len(A), dtype=A.dtype), max(k - 1, 0))\n"
        "    return set(torch.nonzero(reach[i]).flatten().tolist())",
    },
}

MISTAKES |= {
    "1.4 the E-step": {
        "forgets the weights π": "def e_step(x, pi, mu, Sigma):\n"
        "    log_p = torch.distributions.MultivariateNormal(mu, Sigma).log_prob(x[:, None])\n"
        "    return log_p.softmax(-1)",
        "densities, not log-densities: they underflow far from the means (large values)":
        "def e_step(x, pi, mu, Sigma):\n"
        "    p = torch.distributions.MultivariateNormal(mu, Sigma).log_prob(x[:, None]).exp() * pi\n"
        "    return p / p.sum(-1, keepdim=True)",
        "a wrong axis: normalises over the samples": "def e_step(x, pi, mu, Sigma):\n"
        "    log_p = torch.distributions.MultivariateNormal(mu, Sigma).log_prob(x[:, None])\n"
        "    return (pi.log() + log_p).softmax(0)",
        "the covariances' diagonals only": "def e_step(x, pi, mu, Sigma):\n"
        "    diag = torch.diag_embed(Sigma.diagonal(dim1=-2, dim2=-1))\n"
        "    log_p = torch.distributions.MultivariateNormal(mu, diag).log_prob(x[:, None])\n"
        "    return (pi.log() + log_p).softmax(-1)",
    },
    "1.5 bias and variance": {
        "variance divided by S − 1 (a size of 1 breaks it)": "def bias_variance(preds, truth):\n"
        "    mean = preds.mean(0)\n    return ((mean - truth) ** 2).mean().item(), preds.var(0).mean().item()",
        "a wrong axis: averages over the test points first": "def bias_variance(preds, truth):\n"
        "    mean = preds.mean(1, keepdim=True)\n"
        "    return ((mean - truth) ** 2).mean().item(), ((preds - mean) ** 2).mean().item()",
        "the bias not squared": "def bias_variance(preds, truth):\n    mean = preds.mean(0)\n"
        "    return (mean - truth).abs().mean().item(), ((preds - mean) ** 2).mean().item()",
    },
    "2.5 a roofline prediction": {
        "adds the two times": "def roofline_seconds(F, B, P, W):\n    return F / P + B / W",
        "the faster of the two": "def roofline_seconds(F, B, P, W):\n    return min(F / P, B / W)",
        "compute time only": "def roofline_seconds(F, B, P, W):\n    return F / P",
    },
    "3.4 label smoothing": {
        "spreads ε over the other classes only (ε/(C − 1))": "def smoothed_cross_entropy(logits, targets, eps):\n"
        "    C = logits.shape[-1]\n"
        "    q = torch.full_like(logits, eps / (C - 1)).scatter(-1, targets[:, None], 1 - eps)\n"
        "    return -(q * logits.log_softmax(-1)).sum(-1).mean()",
        "keeps 1 on the true class": "def smoothed_cross_entropy(logits, targets, eps):\n"
        "    C = logits.shape[-1]\n    q = torch.full_like(logits, eps / C).scatter(-1, targets[:, None], 1.0)\n"
        "    return -(q * logits.log_softmax(-1)).sum(-1).mean()",
        "sums over the samples instead of averaging": "def smoothed_cross_entropy(logits, targets, eps):\n"
        "    C = logits.shape[-1]\n    q = torch.full_like(logits, eps / C).scatter_add(-1, targets[:, None], "
        "torch.full_like(logits[:, :1], 1 - eps))\n    return -(q * logits.log_softmax(-1)).sum()",
        "log of a softmax: overflows at large values": "def smoothed_cross_entropy(logits, targets, eps):\n"
        "    C = logits.shape[-1]\n    q = torch.full_like(logits, eps / C).scatter_add(-1, targets[:, None], "
        "torch.full_like(logits[:, :1], 1 - eps))\n    p = logits.exp() / logits.exp().sum(-1, keepdim=True)\n"
        "    return -(q * p.log()).sum(-1).mean()",
    },
    "3.5 softmax backward": {
        "forgets the inner product": "def softmax_backward(s, g):\n    return s * g",
        "a wrong axis: the inner product over the first axis": "def softmax_backward(s, g):\n"
        "    return s * (g - (g * s).sum(0, keepdim=True))",
        "the Jacobian's diagonal only": "def softmax_backward(s, g):\n    return s * (1 - s) * g",
    },
}

MISTAKES |= {
    "4.4 GELU's tanh approximation": {
        "forgets the cubic term": "def gelu_tanh(x):\n"
        "    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * x))",
        "2/π without the square root": "def gelu_tanh(x):\n"
        "    return 0.5 * x * (1 + torch.tanh(2 / math.pi * (x + 0.044715 * x**3)))",
        "the exact GELU instead": "def gelu_tanh(x):\n    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))",
    },
    "4.5 the size of a multi-head attention layer": {
        "forgets the biases": "def mha_parameters(d, heads, bias):\n    return 4 * d * d",
        "projections per head": "def mha_parameters(d, heads, bias):\n"
        "    return heads * 4 * d * d + (4 * d if bias else 0)",
        "forgets the output projection": "def mha_parameters(d, heads, bias):\n"
        "    return 3 * d * d + (3 * d if bias else 0)",
    },
    "5.4 an MLP by hand": {
        "a ReLU after the last layer too": "def mlp_forward(x, weights, biases):\n"
        "    for W, b in zip(weights, biases):\n        x = (x @ W.T + b).relu()\n    return x",
        "forgets the transpose (a wrong axis)": "def mlp_forward(x, weights, biases):\n"
        "    for k, (W, b) in enumerate(zip(weights, biases)):\n        x = x @ W + b\n"
        "        x = x.relu() if k < len(weights) - 1 else x\n    return x",
        "forgets the biases": "def mlp_forward(x, weights, biases):\n"
        "    for k, W in enumerate(weights):\n        x = x @ W.T\n"
        "        x = x.relu() if k < len(weights) - 1 else x\n    return x",
        "off by one: a ReLU on the input, none between the last two layers": "def mlp_forward(x, weights, biases):\n"
        "    for W, b in zip(weights, biases):\n        x = x.relu() @ W.T + b\n    return x",
    },
    "5.5 the size of our GPT": {
        "forgets the position embedding": "def gpt_parameters(vocab, d, layers, context, tied):\n"
        "    return vocab * d + layers * (12 * d * d + 2 * d) + d + (0 if tied else d * vocab)",
        "an MLP of width d": "def gpt_parameters(vocab, d, layers, context, tied):\n"
        "    return vocab * d + context * d + layers * (6 * d * d + 2 * d) + d + (0 if tied else d * vocab)",
        "biases in the layer norms": "def gpt_parameters(vocab, d, layers, context, tied):\n"
        "    return vocab * d + context * d + layers * (12 * d * d + 4 * d) + 2 * d + (0 if tied else d * vocab)",
        "tied weights counted twice": "def gpt_parameters(vocab, d, layers, context, tied):\n"
        "    return 2 * vocab * d + context * d + layers * (12 * d * d + 2 * d) + d",
    },
}

MISTAKES |= {
    "6.4 top-k accuracy": {
        "the k smallest logits": "def top_k_accuracy(logits, labels, k):\n"
        "    best = logits.topk(k, dim=-1, largest=False).indices\n"
        "    return (best == labels[:, None]).any(-1).float().mean().item()",
        "a wrong axis: the top k samples of each class": "def top_k_accuracy(logits, labels, k):\n"
        "    best = logits.topk(min(k, len(logits)), dim=0).indices\n"
        "    return sum(int(n in best[:, labels[n]]) for n in range(len(labels))) / len(labels)",
        "off by one: k + 1 guesses": "def top_k_accuracy(logits, labels, k):\n"
        "    best = logits.topk(min(k + 1, logits.shape[1]), dim=-1).indices\n"
        "    return (best == labels[:, None]).any(-1).float().mean().item()",
    },
    "6.5 retrieval accuracy": {
        "dot products, not cosines (large values win)": "def retrieval_accuracy(images, texts):\n"
        "    return ((images @ texts.T).argmax(-1) == torch.arange(len(images))).float().mean().item()",
        "a wrong axis: texts to images": "def retrieval_accuracy(images, texts):\n"
        "    sims = F.normalize(images, dim=-1) @ F.normalize(texts, dim=-1).T\n"
        "    return (sims.argmax(0) == torch.arange(len(images))).float().mean().item()",
        "nearest by Euclidean distance": "def retrieval_accuracy(images, texts):\n"
        "    return (torch.cdist(images, texts).argmin(-1) == torch.arange(len(images))).float().mean().item()",
    },
    "7.4 a repetition penalty": {
        "divides negative logits too (raising them)": "def repetition_penalty(logits, previous, theta):\n"
        "    out = logits.clone()\n    for v in set(previous):\n        out[v] = out[v] / theta\n    return out",
        "once per occurrence (repeats compound)": "def repetition_penalty(logits, previous, theta):\n"
        "    out = logits.clone()\n    for v in previous:\n"
        "        out[v] = out[v] / theta if out[v] > 0 else out[v] * theta\n    return out",
        "penalises the tokens never generated": "def repetition_penalty(logits, previous, theta):\n"
        "    out = logits.clone()\n    for v in set(range(len(logits))) - set(previous):\n"
        "        out[v] = out[v] / theta if out[v] > 0 else out[v] * theta\n    return out",
    },
    "8.4 the bytes of a quantized model": {
        "forgets the scales": "def model_bytes(n, fmt):\n    blocks = -(-n // 32)\n"
        "    return {'fp32': 4 * n, 'fp16': 2 * n, 'Q8_0': 32 * blocks, 'Q4_0': 16 * blocks}[fmt]",
        "rounds the blocks down (a size of 1 breaks it)": "def model_bytes(n, fmt):\n    blocks = n // 32\n"
        "    return {'fp32': 4 * n, 'fp16': 2 * n, 'Q8_0': 34 * blocks, 'Q4_0': 18 * blocks}[fmt]",
        "fp32 scales": "def model_bytes(n, fmt):\n    blocks = -(-n // 32)\n"
        "    return {'fp32': 4 * n, 'fp16': 2 * n, 'Q8_0': 36 * blocks, 'Q4_0': 20 * blocks}[fmt]",
    },
    "8.5 retrieving by cosine similarity": {
        "dot products, not cosines (large values win)": "def top_k_docs(query, docs, k):\n"
        "    return (docs @ query).topk(k).indices.tolist()",
        "the least similar first": "def top_k_docs(query, docs, k):\n"
        "    sims = F.normalize(docs, dim=-1) @ F.normalize(query, dim=0)\n"
        "    return sims.topk(k, largest=False).indices.tolist()",
        "off by one: k − 1 documents": "def top_k_docs(query, docs, k):\n"
        "    sims = F.normalize(docs, dim=-1) @ F.normalize(query, dim=0)\n"
        "    return sims.topk(k).indices.tolist()[:-1]",
    },
    "9.5 mean aggregation": {
        "sums instead of averaging": "def mean_aggregate(A, H):\n    return A @ H",
        "divides by zero for an isolated node": "def mean_aggregate(A, H):\n"
        "    return (A @ H) / A.sum(1, keepdim=True)",
        "a wrong axis: what each node sends, not what it receives": "def mean_aggregate(A, H):\n"
        "    return (A.T @ H) / A.T.sum(1, keepdim=True).clamp(min=1)",
        "includes the node itself": "def mean_aggregate(A, H):\n    A = A + torch.eye(len(A), dtype=A.dtype)\n"
        "    return (A @ H) / A.sum(1, keepdim=True)",
    },
}

MISTAKES |= {
    "2.4 strides of a view": {
        "forgets the steps": "def view_strides(shape, steps, order):\n"
        "    strides, size = [0] * len(shape), 1\n    for i in reversed(range(len(shape))):\n"
        "        strides[i], size = size, size * shape[i]\n    return tuple(strides[i] for i in order)",
        "permutes the shape, not the strides": "def view_strides(shape, steps, order):\n"
        "    new, st = [shape[i] for i in order], [steps[i] for i in order]\n    strides, size = [0] * len(new), 1\n"
        "    for i in reversed(range(len(new))):\n        strides[i], size = size * st[i], size * new[i]\n"
        "    return tuple(strides)",
        "the inverse permutation": "def view_strides(shape, steps, order):\n"
        "    strides, size = [0] * len(shape), 1\n    for i in reversed(range(len(shape))):\n"
        "        strides[i], size = size * steps[i], size * shape[i]\n"
        "    return tuple(strides[order.index(i)] for i in range(len(order)))",
        "a list, not a tuple": "def view_strides(shape, steps, order):\n"
        "    strides, size = [0] * len(shape), 1\n    for i in reversed(range(len(shape))):\n"
        "        strides[i], size = size * steps[i], size * shape[i]\n    return [strides[i] for i in order]",
    },
    "7.5 a DDIM step": {
        "ᾱ_t where ᾱ_{t−1} is due (off by one)": "def ddim_step(x_t, eps, t, betas):\n"
        "    ab = torch.cumprod(1 - betas, 0)\n    x0 = (x_t - (1 - ab[t]).sqrt() * eps) / ab[t].sqrt()\n"
        "    return ab[t].sqrt() * x0 + (1 - ab[t]).sqrt() * eps",
        "forgets the noise term: steps to the clean estimate": "def ddim_step(x_t, eps, t, betas):\n"
        "    ab = torch.cumprod(1 - betas, 0)\n    x0 = (x_t - (1 - ab[t]).sqrt() * eps) / ab[t].sqrt()\n"
        "    return ab[t - 1].sqrt() * x0",
        "the DDPM posterior mean instead": "def ddim_step(x_t, eps, t, betas):\n"
        "    ab = torch.cumprod(1 - betas, 0)\n    x0 = (x_t - (1 - ab[t]).sqrt() * eps) / ab[t].sqrt()\n"
        "    return (ab[t - 1].sqrt() * betas[t] * x0 + (1 - betas[t]).sqrt() * (1 - ab[t - 1]) * x_t) / (1 - ab[t])",
    },
    "9.4 the discriminator's loss, smoothed": {
        "the labels swapped": "def discriminator_loss(real_logits, fake_logits, smooth):\n"
        "    real = (1 - smooth) * F.softplus(real_logits) + smooth * F.softplus(-real_logits)\n"
        "    return real.mean() + F.softplus(-fake_logits).mean()",
        "log of a sigmoid: overflows at large values": "def discriminator_loss(real_logits, fake_logits, smooth):\n"
        "    s = torch.sigmoid\n    real = -((1 - smooth) * s(real_logits).log() + smooth * s(-real_logits).log())\n"
        "    return real.mean() - s(-fake_logits).log().mean()",
        "forgets the smoothing": "def discriminator_loss(real_logits, fake_logits, smooth):\n"
        "    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()",
        "averages the two terms": "def discriminator_loss(real_logits, fake_logits, smooth):\n"
        "    real = (1 - smooth) * F.softplus(-real_logits) + smooth * F.softplus(real_logits)\n"
        "    return (real.mean() + F.softplus(fake_logits).mean()) / 2",
    },
}
