"""The zoo's recipes: each model's data, its untrained model, its training and its held-out score."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import nn

from .. import scale as _scale
from .. import train
from ..data import text
from ..models import gpt, unet
from . import vision


class Corpus(NamedTuple):
    """A character corpus cut into training and held-out token streams."""

    vocab: text.CharVocab
    train_ids: torch.Tensor
    val_ids: torch.Tensor

    @property
    def chars(self) -> tuple[str, ...]:
        """The vocabulary's characters, which a stored model must share."""
        return self.vocab.chars

    def tensors(self) -> tuple[torch.Tensor, ...]:
        """Every tensor, in a fixed order: what a zoo file's key hashes."""
        return self.train_ids, self.val_ids


class Trained(NamedTuple):
    """What :func:`load` returns: the model (in eval mode, on the session's device) and its metrics."""

    model: nn.Module
    metrics: dict[str, Any]


def lm_val_loss(model: nn.Module, data: Corpus) -> float:
    """Held-out cross-entropy of a language model, in nats per character."""
    return train.lm_loss(model, data.val_ids)


LM_CODE = (gpt, train.train_lm, train.lm_batch, train.adamw, train.warmup_cosine)
IMAGE_CODE = (unet, vision, train.optimize)  # vision.fit_images trains through optimize


@dataclass(frozen=True)
class Recipe:
    """How to make one zoo model: its data, its untrained model, its training (which returns the history),
    how it is scored on held-out data (and in what unit), and the code its stored files are keyed by."""

    description: str
    corpus: Callable[[str], Corpus | vision.Pictures]  # scale -> the data
    build: Callable[[Any, str], nn.Module]  # (data, scale) -> the untrained model
    fit: Callable[..., dict[str, Any]]  # (model, data, scale, seed, stop=None) -> the training history
    evaluate: Callable[[nn.Module, Any], float] = lm_val_loss  # (model, data) -> held-out loss
    unit: str = "nats/char"
    code: tuple[Any, ...] = LM_CODE  # besides corpus, build and fit: the modules and functions they rely on


def _python_corpus(scale: str, chars: int | None = None) -> Corpus:
    chars = chars or _scale.pick(ci=300_000, small=1_000_000, full=2_000_000, scale=scale)
    corpus = text.python_corpus(chars)
    vocab = text.CharVocab(text.PYTHON_CHARS)  # fixed, so shipped weights fit any Python's corpus
    ids = vocab.encode(corpus)
    cut = int(0.9 * len(ids))
    return Corpus(vocab, ids[:cut], ids[cut:])


def _grammar_corpus(scale: str) -> Corpus:
    n = _scale.pick(ci=100_000, small=300_000, full=1_000_000, scale=scale)
    train_text, val_text = text.grammar_corpus(n, seed=0), text.grammar_corpus(30_000, seed=1)
    vocab = text.CharVocab.from_text(train_text + val_text)
    return Corpus(vocab, vocab.encode(train_text), vocab.encode(val_text))


def _fit_python(model: nn.Module, c: Corpus, scale: str, seed: int, stop: int | None = None) -> dict[str, Any]:
    steps = _scale.pick(ci=200, small=2500, full=10_000, scale=scale)
    return train.train_lm(model, c.train_ids, steps=steps, batch=12, lr=3e-3, val_ids=c.val_ids, seed=seed,
                          live=False, desc="GPT on Python source", stop=stop)


def _fit_grammar(model: nn.Module, c: Corpus, scale: str, seed: int, stop: int | None = None) -> dict[str, Any]:
    steps = _scale.pick(ci=300, small=1000, full=3000, scale=scale)
    return train.train_lm(model, c.train_ids, steps=steps, batch=32, lr=3e-3, val_ids=c.val_ids, seed=seed,
                          live=False, desc="GPT on the grammar", stop=stop)


def _python_corpus_large(scale: str) -> Corpus:
    # Four times the small corpus: the shipped model trains longer than a reader would wait, and on
    # one million characters its 1.2 M parameters memorised (train 1.07 vs held-out 1.36 nats/char).
    return _python_corpus(scale, _scale.pick(ci=300_000, small=4_000_000, full=4_500_000, scale=scale))


def _build_python_large(c: Corpus, scale: str) -> nn.Module:
    # ci: narrower and shallower, quick on one thread; the context stays 128 for chapter 7's samples
    width, layers = _scale.pick(ci=(64, 4), small=(128, 6), full=(128, 6), scale=scale)
    return gpt.GPT(len(c.vocab), width, 4, layers, 128)


def _fit_python_large(model: nn.Module, c: Corpus, scale: str, seed: int, stop: int | None = None) -> dict[str, Any]:
    steps = _scale.pick(ci=200, small=6000, full=12_000, scale=scale)  # small: about 12 min on two cores
    lr = _scale.pick(ci=6e-3, small=2e-3, full=2e-3, scale=scale)  # ci: the small model takes a larger step
    evals = _scale.pick(ci=2, small=10, full=10, scale=scale)  # each one a pass over held-out text: few at ci
    return train.train_lm(model, c.train_ids, steps=steps, batch=16, lr=lr, val_ids=c.val_ids, evals=evals,
                          seed=seed, live=False, desc="larger GPT on Python source", stop=stop)


RECIPES: dict[str, Recipe] = {
    "gpt-python": Recipe("character GPT (4 layers, 4 heads, width 128, context 64) on Python's own source",
                         _python_corpus, lambda c, scale: gpt.GPT(len(c.vocab), 128, 4, 4, 64), _fit_python),
    "gpt-python-large": Recipe("character GPT (6 layers, 4 heads, width 128, context 128; at ci 4 layers of "
                               "width 64) on Python's own source", _python_corpus_large, _build_python_large,
                               _fit_python_large),
    "gpt-grammar": Recipe("character GPT (2 layers, 4 heads, width 64, context 64) on the grammar corpus",
                          _grammar_corpus, lambda c, scale: gpt.GPT(len(c.vocab), 64, 4, 2, 64), _fit_grammar),
    "denoiser": Recipe("U-Net denoiser (one halving, width 32, no normalisation) for Gaussian noise of "
                       f"σ = {vision.SIGMA} on crops of the sample photos",
                       vision.denoiser_data, vision.build_denoiser, vision.fit_denoiser, vision.denoiser_val_loss,
                       "MSE", IMAGE_CODE),
    **{f"segmenter{'' if skips else '-noskips'}": Recipe(
        f"U-Net segmenter (two halvings, width 16, pyramid pooling, {'with' if skips else 'without'} skips) of "
        "procedural scenes into background and three shapes", vision.segmentation_data, vision.segmenter(skips),
        vision.fit_segmenter, vision.segmentation_val_loss, "nats/pixel", IMAGE_CODE) for skips in (True, False)},
}


def _recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"no model {name!r} in the zoo: it has {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


@functools.lru_cache(maxsize=8)
def _made(make: Callable[[str], Any], scale: str) -> Corpus | vision.Pictures:
    # Keyed by the recipe's own data function: load, key and first_steps ask for the same data in turn, and
    # two recipes may share it (the segmenters); a recipe replaced by another function is made afresh.
    return make(scale)


def corpus(name: str, scale: str | None = None) -> Corpus | vision.Pictures:
    """The data a zoo model is trained on: its training and held-out tokens (with their vocabulary) or images."""
    return _made(_recipe(name).corpus, _scale.check_scale(scale) if scale else _scale.get_scale())
