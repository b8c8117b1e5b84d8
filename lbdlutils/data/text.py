"""Text corpora that need no download, and a character vocabulary.

* :func:`python_corpus`: real text, the source files of Python's standard library (always on disk;
  the exact text depends on the Python version, so compare numbers within one environment).
* :func:`grammar_corpus`: sentences from a small stochastic grammar whose entropy per character,
  :func:`grammar_entropy`, is known exactly, so a language model's loss can be held against its floor.
* :func:`docs_corpus`: English prose, Python's own documentation as ``pydoc`` ships it.
* :func:`count_loss`: the trivial baselines of a language model, unigram and bigram counts;
  :func:`backoff_loss`, counts of longer contexts interpolated with shorter ones (Witten–Bell), and
  :func:`count_models`, several of them, the baselines of an adaptation to :func:`english_parts`.
"""

from __future__ import annotations

import math
import random
import sysconfig
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import torch

# The grammar: each word belongs to exactly one category, so the text determines the category
# sequence, which is a Markov chain. Rows: the category a word is in; columns: the next one.
CATEGORIES: dict[str, dict[str, float]] = {
    "det": {"the": 0.5, "a": 0.3, "every": 0.1, "no": 0.1},
    "adj": {"small": 0.3, "red": 0.2, "quiet": 0.2, "old": 0.15, "clever": 0.15},
    "noun": {"cat": 0.25, "dog": 0.2, "bird": 0.15, "child": 0.15, "robot": 0.15, "garden": 0.1},
    "verb": {"sees": 0.3, "likes": 0.25, "follows": 0.2, "draws": 0.15, "ignores": 0.1},
    "end": {".": 0.7, "!": 0.15, "?": 0.15},
}
TRANSITIONS: dict[str, dict[str, float]] = {
    "det": {"adj": 0.4, "noun": 0.6},
    "adj": {"adj": 0.2, "noun": 0.8},
    "noun": {"verb": 0.6, "end": 0.4},
    "verb": {"det": 1.0},
    "end": {"det": 1.0},
}


def _chain() -> tuple[list[str], torch.Tensor]:
    names = list(CATEGORIES)
    T = torch.tensor([[TRANSITIONS[a].get(b, 0.0) for b in names] for a in names], dtype=torch.float64)
    return names, T


def grammar_entropy() -> float:
    """Exact entropy of :func:`grammar_corpus` in nats per character (words are followed by a space).

    Per word: the entropy of the next category plus that of the word within it, averaged under the
    chain's stationary distribution; divided by the mean number of characters per word, space included.
    """
    names, T = _chain()
    evals, evecs = torch.linalg.eig(T.T)
    pi = evecs[:, torch.argmin((evals - 1).abs())].real
    pi = pi / pi.sum()
    h_word = {c: -sum(p * math.log(p) for p in CATEGORIES[c].values()) for c in names}
    chars = {c: sum(p * (len(w) + 1) for w, p in CATEGORIES[c].items()) for c in names}
    h = length = 0.0
    for i in range(len(names)):
        for j, b in enumerate(names):
            if T[i, j] > 0:
                h += pi[i].item() * T[i, j].item() * (-math.log(T[i, j].item()) + h_word[b])
                length += pi[i].item() * T[i, j].item() * chars[b]
    return h / length


def grammar_nll(text: str) -> float:
    """Exact negative log-likelihood of ``text`` under the grammar, in nats per character.

    ``text`` must start a sentence (as :func:`grammar_corpus` does); a cut last word is ignored.
    """
    category = {w: c for c, words in CATEGORIES.items() for w in words}
    words = text.split(" ")[:-1]
    if not words:
        raise ValueError("grammar_nll needs at least one whole word followed by a space")
    unknown = sorted({w for w in words if w not in category})
    if unknown:
        raise ValueError(f"words not in the grammar: {unknown[:5]}")
    nll, previous = 0.0, "end"  # the text starts a sentence, as after an end mark
    for w in words:
        p = TRANSITIONS[previous].get(category[w], 0.0) * CATEGORIES[category[w]][w]
        if p == 0:
            raise ValueError(f"{previous!r} cannot be followed by {w!r} in the grammar")
        nll -= math.log(p)
        previous = category[w]
    return nll / sum(len(w) + 1 for w in words)


def grammar_corpus(n_chars: int, seed: int = 0) -> str:
    """At least ``n_chars`` characters of the grammar, cut to exactly ``n_chars``, starting a sentence."""
    if not isinstance(n_chars, int) or n_chars < 1:
        raise ValueError(f"n_chars must be a positive integer, got {n_chars!r}")
    rng = random.Random(seed)  # Python's generator: fast per draw, and the same on every platform
    words_of = {c: (list(CATEGORIES[c]), list(CATEGORIES[c].values())) for c in CATEGORIES}
    next_of = {c: (list(TRANSITIONS[c]), list(TRANSITIONS[c].values())) for c in TRANSITIONS}
    category, out, size = "det", [], 0
    while size < n_chars:
        word = rng.choices(*words_of[category])[0]
        out.append(word + " ")
        size += len(word) + 1
        category = rng.choices(*next_of[category])[0]
    return "".join(out)[:n_chars]


# The characters of python_corpus: a newline and printable ASCII, whatever the Python version.
PYTHON_CHARS: tuple[str, ...] = ("\n", *map(chr, range(32, 127)))
_DROPPED = {c: None for c in [*range(10), *range(11, 32), 127]}


def python_corpus(n_chars: int = 1_000_000, stdlib: str | Path | None = None) -> str:
    """``n_chars`` characters of Python's standard library source (sorted files).

    Only :data:`PYTHON_CHARS` are kept (tabs become four spaces; other control characters and
    non-ASCII go), so every Python version gives text over the same vocabulary.
    """
    if not isinstance(n_chars, int) or n_chars < 1:
        raise ValueError(f"n_chars must be a positive integer, got {n_chars!r}")
    root = Path(stdlib) if stdlib is not None else Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*.py") if p.is_file())
    if not files:
        raise FileNotFoundError(f"no Python source files in {root}: pass stdlib= a folder of .py files")
    parts, size = [], 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="ignore").expandtabs(4).encode("ascii", "ignore").decode()
        text = text.translate(_DROPPED)
        parts.append(text)
        size += len(text)
        if size >= n_chars:
            break
    return "".join(parts)[:n_chars]


_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                            "\u2014": "-", "\u2026": "..."})


def docs_corpus(n_chars: int = 400_000) -> str:
    """``n_chars`` characters of English prose: the topics of Python's own documentation, sorted.

    They ship with Python (``pydoc_data``, a package :func:`python_corpus` does not read), about
    465,000 characters; typographic quotes and dashes become ASCII ones and other characters outside
    :data:`PYTHON_CHARS` spaces, so a model of Python source reads them with its own vocabulary. The
    text differs a little between Python versions.
    """
    if not isinstance(n_chars, int) or n_chars < 1:
        raise ValueError(f"n_chars must be a positive integer, got {n_chars!r}")
    try:
        from pydoc_data.topics import topics
    except ImportError as err:  # some trimmed Pythons leave it out
        raise FileNotFoundError("this Python has no pydoc_data package, which docs_corpus reads") from err
    allowed, text = set(PYTHON_CHARS), "".join(topics[k] for k in sorted(topics)).expandtabs(4)
    text = "".join(c if c in allowed else " " for c in text.translate(_TYPOGRAPHY))
    if len(text) < n_chars:
        raise ValueError(f"Python's documentation has {len(text):,} characters, fewer than the {n_chars:,} asked")
    return text[:n_chars]


def english_parts() -> dict[str, str]:
    """Chapters 3 and 8's English task: :func:`docs_corpus` cut into test (30,000 characters), validation
    (10,000) and train (20,000), in that order."""
    docs = docs_corpus(60_000)
    return {"test": docs[:30_000], "val": docs[30_000:40_000], "train": docs[40_000:]}


@dataclass(frozen=True)
class CharVocab:
    """A character-level vocabulary: ``encode`` maps text to a 1-D int64 tensor, ``decode`` back."""

    chars: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """The sorted set of characters of ``text``."""
        if not text:
            raise ValueError("cannot build a vocabulary from empty text")
        return cls(tuple(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """Token ids of ``text``; an unknown character is an error naming it."""
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown[:10]!r}")
        return torch.tensor([index[c] for c in text], dtype=torch.int64)

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        """The text of token ids."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        bad = [i for i in ids if not 0 <= i < len(self.chars)]
        if bad:
            raise ValueError(f"token ids out of range 0..{len(self.chars) - 1}: {bad[:10]}")
        return "".join(self.chars[i] for i in ids)


def count_loss(order: int, train_ids: torch.Tensor, val_ids: torch.Tensor, vocab_size: int) -> float:
    """Held-out nats per token of add-one-smoothed counts on ``train_ids``: unigram (1) or bigram (2)."""
    if order not in (1, 2):
        raise ValueError(f"order must be 1 (unigram) or 2 (bigram), got {order!r}")
    V = vocab_size
    if order == 1:
        p = (torch.bincount(train_ids, minlength=V) + 1.0) / (len(train_ids) + V)
        return -p[val_ids].log().mean().item()
    pairs = torch.bincount(train_ids[:-1] * V + train_ids[1:], minlength=V * V).view(V, V) + 1.0
    return -(pairs / pairs.sum(1, keepdim=True))[val_ids[:-1], val_ids[1:]].log().mean().item()


def backoff_loss(order: int, train: str, val: str, vocab_size: int) -> float:
    """Held-out nats per character of counts with up to ``order`` − 1 characters of context.

    Witten–Bell interpolation: each context's counts are mixed with the next shorter context's
    estimate, the more so the more different characters followed it, down to the uniform over
    ``vocab_size``; so an unseen context or character never gets probability zero.
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    if len(val) < order:
        raise ValueError(f"val needs at least order = {order} characters, got {len(val)}")
    counts: list[defaultdict[str, Counter[str]]] = [defaultdict(Counter) for _ in range(order)]
    for i, c in enumerate(train):
        for k in range(min(order, i + 1)):
            counts[k][train[i - k:i]][c] += 1
    totals = [{h: (sum(n.values()), len(n)) for h, n in level.items()} for level in counts]
    nll = 0.0
    for i in range(order - 1, len(val)):
        p = 1.0 / vocab_size
        for k in range(order):  # shortest context first: each longer one refines the estimate below it
            seen = counts[k].get(val[i - k:i])
            if seen:
                total, kinds = totals[k][val[i - k:i]]
                p = (seen[val[i]] + kinds * p) / (total + kinds)
        nll -= math.log(p)
    return nll / (len(val) - order + 1)


def count_models(train: str, test: str, vocab_size: int, background: str = "",
                 orders: tuple[int, ...] = (3, 4, 5)) -> dict[str, float]:
    """Held-out nats per character of :func:`backoff_loss` at each order on ``train``; with a ``background``
    text (what a model was pretrained on), also the highest order on the background followed by ``train``."""
    losses = {f"{k}-gram": backoff_loss(k, train, test, vocab_size) for k in orders}
    if background:
        top = orders[-1]
        losses[f"{top}-gram, background + train"] = backoff_loss(top, background + train, test, vocab_size)
    return losses
