
import math

import pytest
import torch

from lbdlutils.data import text


def test_grammar_is_deterministic_and_uses_its_words():
    a, b = text.grammar_corpus(2000, seed=3), text.grammar_corpus(2000, seed=3)
    assert a == b and len(a) == 2000 and a != text.grammar_corpus(2000, seed=4)
    words = {w for c in text.CATEGORIES.values() for w in c}
    assert set(a.split()[:-1]) <= words  # the last word may be cut


def test_grammar_entropy_matches_a_monte_carlo_estimate():
    """−log p of a long sample under the true grammar, per character, converges to the exact value."""
    assert text.grammar_nll(text.grammar_corpus(400_000, seed=0)) == pytest.approx(text.grammar_entropy(), rel=0.01)


def test_grammar_nll_errors():
    with pytest.raises(ValueError, match="not in the grammar"):
        text.grammar_nll("the zebra ")
    with pytest.raises(ValueError, match="cannot be followed"):
        text.grammar_nll("the sees ")
    with pytest.raises(ValueError, match="at least one whole word"):
        text.grammar_nll("the")


def test_probabilities_are_distributions_and_words_unique():
    for table in (*text.CATEGORIES.values(), *text.TRANSITIONS.values()):
        assert sum(table.values()) == pytest.approx(1.0)
    all_words = [w for ws in text.CATEGORIES.values() for w in ws]
    assert len(all_words) == len(set(all_words)) and all(" " not in w for w in all_words)


def test_python_corpus_is_real_text(tmp_path):
    corpus = text.python_corpus(50_000)
    assert len(corpus) == 50_000 and "def " in corpus and corpus.isascii()
    with pytest.raises(FileNotFoundError, match="no Python source files"):
        text.python_corpus(10, stdlib=tmp_path)
    with pytest.raises(ValueError, match="positive integer"):
        text.python_corpus(0)
    with pytest.raises(ValueError, match="positive integer"):
        text.grammar_corpus(-1)


def test_char_vocab_round_trip_and_errors():
    vocab = text.CharVocab.from_text("hello world")
    ids = vocab.encode("hold")
    assert ids.dtype == torch.int64 and vocab.decode(ids) == "hold" and len(vocab) == 8
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("xyz")
    with pytest.raises(ValueError, match="out of range"):
        vocab.decode([0, 99])
    with pytest.raises(ValueError, match="empty text"):
        text.CharVocab.from_text("")


def test_count_loss_matches_counting_by_hand():
    train, val = torch.tensor([0, 1, 0, 1, 1]), torch.tensor([1, 0])
    # unigram, add-one over 3 symbols: p(1) = (3 + 1) / (5 + 3), p(0) = (2 + 1) / 8
    assert text.count_loss(1, train, val, 3) == pytest.approx(-(math.log(4 / 8) + math.log(3 / 8)) / 2)
    # bigram: after 1 the training stream has 1 -> 0 once and 1 -> 1 once; add-one over 3 symbols
    assert text.count_loss(2, train, val, 3) == pytest.approx(-math.log((1 + 1) / (2 + 3)))
    with pytest.raises(ValueError, match="order must be 1"):
        text.count_loss(3, train, val, 3)


def test_backoff_loss_by_hand_and_normalised():
    # order 1, "aab" over 3 characters: Witten-Bell gives a (2 + 2/3) / (3 + 2) = 8/15
    assert math.isclose(text.backoff_loss(1, "aab", "a", 3), -math.log(8 / 15))
    train, chars = "abcab cab acb", "abc "
    for context in ("ab", "ca", "zz", "b "):  # seen, seen, unseen, seen once
        total = sum(math.exp(-text.backoff_loss(3, train, context + c, len(chars))) for c in chars)
        assert math.isclose(total, 1.0), context
    with pytest.raises(ValueError, match="order must be a positive integer"):
        text.backoff_loss(0, train, "ab", 4)
    with pytest.raises(ValueError, match="at least order = 3"):
        text.backoff_loss(3, train, "ab", 4)


def test_docs_corpus_is_english_in_the_python_vocabulary():
    docs = text.docs_corpus(20_000)
    assert len(docs) == 20_000 and set(docs) <= set(text.PYTHON_CHARS) and docs == text.docs_corpus(20_000)
    assert docs.count(" the ") > 50 and docs not in text.python_corpus(200_000)
    with pytest.raises(ValueError, match="fewer than"):
        text.docs_corpus(10**8)


def test_count_models_and_english_parts():
    parts = text.english_parts()
    assert [len(parts[k]) for k in ("test", "val", "train")] == [30_000, 10_000, 20_000]
    assert "".join(parts.values()) == text.docs_corpus(60_000)
    train, test = parts["train"][:3000], parts["test"][:500]
    losses = text.count_models(train, test, 96, background="def f(x):\n    return x\n")
    assert list(losses) == ["3-gram", "4-gram", "5-gram", "5-gram, background + train"]
    assert losses["4-gram"] == text.backoff_loss(4, train, test, 96)
    assert list(text.count_models(train, test, 96, orders=(2,))) == ["2-gram"]
