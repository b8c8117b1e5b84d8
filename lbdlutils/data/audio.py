"""Synthetic speech: words made of phoneme-like sounds, spoken by random speakers, with transcripts.

Vowels are harmonics of a pitch f0 shaped by two formants (resonances); ``s`` and ``f`` are bands of
noise; ``w`` and ``y`` are glides whose formants move. A speaker scales pitch, formants (the vocal
tract's length) and speed, and the recording adds noise: enough variety that a lookup table fails.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from .splits import check_n

RATE = 8000  # samples per second; 4 kHz is enough for the first two formants and the fricatives
# Vowels: (F1, F2) in Hz, close to an adult's; fricatives: a band of noise (lo, hi); glides: F1, F2 from -> to.
PHONEMES: dict[str, tuple] = {
    "a": ("vowel", 750, 1200), "e": ("vowel", 500, 1900), "i": ("vowel", 300, 2300),
    "o": ("vowel", 550, 850), "u": ("vowel", 320, 800),
    "s": ("noise", 2800, 3900), "f": ("noise", 1200, 2400),
    "w": ("glide", (300, 650), (600, 1000)), "y": ("glide", (300, 500), (2300, 1700)),
}
WORDS = {"see": "si", "say": "se", "so": "so", "sue": "su", "way": "we", "woo": "wu", "you": "yu",
         "yes": "yes", "fee": "fi", "foe": "fo", "few": "fyu", "wise": "wais", "face": "fes", "sofa": "sofa"}


class Utterances(NamedTuple):
    """``waves`` (N, L) float32 padded with zeros, ``lengths`` (N,) samples, ``words`` and ``phonemes``."""

    waves: torch.Tensor
    lengths: torch.Tensor
    words: list[list[str]]
    phonemes: list[list[str]]


def _harmonics(f0: float, f1: torch.Tensor, f2: torch.Tensor, t: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A voiced sound: harmonics k·f0 weighted by two resonances at (possibly moving) formants f1, f2."""
    k = torch.arange(1, int(RATE / 2 / f0))[:, None]
    amp = sum(torch.exp(-0.5 * ((k * f0 - f) / (0.12 * f + 60)) ** 2) for f in (f1, f2))  # (K, T)
    phase = 2 * math.pi * torch.rand(len(k), 1, generator=g)
    return (amp * torch.sin(2 * math.pi * k * f0 * t + phase)).sum(0)


def _phoneme(p: str, duration: float, f0: float, tract: float, g: torch.Generator) -> torch.Tensor:
    kind, a, b = PHONEMES[p]
    n = int(duration * RATE)
    t = torch.arange(n) / RATE
    if kind == "vowel":
        x = _harmonics(f0, torch.tensor(a * tract), torch.tensor(b * tract), t, g)
    elif kind == "glide":
        ramp = torch.linspace(0, 1, n)
        x = _harmonics(f0, tract * (a[0] + (a[1] - a[0]) * ramp), tract * (b[0] + (b[1] - b[0]) * ramp), t, g)
    else:  # band of white noise, cut in the frequency domain
        spec = torch.fft.rfft(torch.randn(n, generator=g))
        freqs = torch.fft.rfftfreq(n, 1 / RATE)
        x = torch.fft.irfft(spec * ((freqs >= a * tract) & (freqs <= b * tract)), n)
    envelope = torch.sin(math.pi * torch.linspace(0, 1, n)).clamp_min(0) ** 0.5  # no clicks at the edges
    return envelope * x / (x.abs().max() + 1e-6)


def speech(n: int, words: tuple[int, int] = (1, 3), vocabulary: tuple[str, ...] | None = None,
           seed: int = 0) -> Utterances:
    """``n`` utterances of ``words`` (min, max) words drawn from ``vocabulary`` (all ``WORDS`` by default).

    Each utterance has its own speaker: pitch 90–250 Hz, formants ×0.88–1.12, speed ×0.8–1.25, a
    loudness, short pauses between words, and background noise at 20–35 dB below the voice.
    """
    check_n(n)
    vocab = list(vocabulary or WORDS)
    unknown = [w for w in vocab if w not in WORDS]
    if unknown or not (1 <= words[0] <= words[1]):
        raise ValueError(f"words must be (min, max) with 1 <= min <= max and the vocabulary among "
                         f"{', '.join(WORDS)}; got words={words}, unknown {unknown}")
    g = torch.Generator().manual_seed(seed)
    u = lambda lo, hi: lo + (hi - lo) * torch.rand((), generator=g).item()
    clips, texts, phones = [], [], []
    for _ in range(n):
        f0, tract, speed, gain = u(90, 250), u(0.88, 1.12), u(0.8, 1.25), u(0.3, 1.0)
        said = [vocab[int(u(0, len(vocab)))] for _ in range(int(u(words[0], words[1] + 1)))]
        parts = [torch.zeros(int(u(0.02, 0.08) * RATE))]
        for w in said:
            parts += [_phoneme(p, u(0.07, 0.11) / speed, f0 * u(0.95, 1.05), tract, g) for p in WORDS[w]]
            parts.append(torch.zeros(int(u(0.04, 0.1) / speed * RATE)))  # a pause between words
        wave = gain * torch.cat(parts)
        wave = wave + gain * 10 ** (-u(20, 35) / 20) * torch.randn(len(wave), generator=g)
        clips.append(wave)
        texts.append(said)
        phones.append([p for w in said for p in WORDS[w]])
    lengths = torch.tensor([len(c) for c in clips])
    waves = torch.zeros(n, int(lengths.max()))
    for i, c in enumerate(clips):
        waves[i, :len(c)] = c
    return Utterances(waves, lengths, texts, phones)
