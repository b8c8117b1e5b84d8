import pytest
import torch

import lbdlutils as lbdl
from lbdlutils import data


def test_regression_1d_shapes_range_and_determinism():
    x, y = data.regression_1d(50, noise=0.1, seed=1)
    assert x.shape == y.shape == (50,) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1
    x2, y2 = data.regression_1d(50, noise=0.1, seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x0, y0 = data.regression_1d(50, noise=0.0, seed=1, dtype=torch.float64)
    torch.testing.assert_close(y0, data.TARGETS_1D["wave"](x0))


def test_regression_1d_errors():
    with pytest.raises(ValueError, match="valid targets are wave, bump, step"):
        data.regression_1d(10, target="zigzag")
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        data.regression_1d(0)
    with pytest.raises(ValueError, match="noise is a standard deviation"):
        data.regression_1d(10, noise=-1)


def test_split_partitions_everything():
    x, y = torch.arange(100.0), torch.arange(100)
    s = data.split(x, y, (0.5, 0.3, 0.2), seed=0)
    assert [len(p[0]) for p in s] == [50, 30, 20]
    assert sorted(torch.cat([p[1] for p in s]).tolist()) == list(range(100))
    with pytest.raises(ValueError, match="summing to 1"):
        data.split(x, y, (0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="same length"):
        data.split(x, y[:10])


def test_digits_bundled_offline():
    s = data.digits()
    x, y = s.train
    assert x.shape[1:] == (1, 8, 8) and x.min() >= 0 and x.max() <= 1
    assert sum(len(p[0]) for p in s) == 1797 and set(y.tolist()) == set(range(10))
    assert data.digits(size=16).test[0].shape[1:] == (1, 16, 16)
    with pytest.raises(ValueError, match="size must be an integer >= 8"):
        data.digits(size=4)


def test_digits_on_a_canvas():
    centred, placed = data.digits(seed=3), data.digits(seed=3, canvas=12)
    x, y = placed.train
    assert x.shape[1:] == (1, 12, 12) and torch.equal(y, centred.train[1])
    # each image holds its digit's pixels, unchanged, at one position; nothing else is lit
    assert torch.allclose(x.sum((1, 2, 3)), centred.train[0].sum((1, 2, 3)))
    rows, cols = x[:, 0].sum(2) > 0, x[:, 0].sum(1) > 0
    first_rows = rows.float().argmax(1)
    assert len(set(first_rows.tolist())) > 3 and bool(cols.any(1).all())  # positions vary
    assert torch.equal(x, data.digits(seed=3, canvas=12).train[0])  # the seed fixes them
    assert data.digits(canvas=8).train[0].shape[1:] == (1, 8, 8)
    with pytest.raises(ValueError, match="canvas must be an integer >= 16"):
        data.digits(size=16, canvas=12)


@pytest.mark.parametrize("name,classes", [("moons", 2), ("circles", 2), ("spirals", 3), ("blobs", 5)])
def test_toy_2d(name, classes):
    x, y = data.toy_2d(name, 300, seed=0)
    assert x.shape == (300, 2) and y.shape == (300,) and x.dtype == torch.float32
    assert set(y.tolist()) == set(range(classes)) and x.abs().max() < 4


def test_toy_2d_errors():
    with pytest.raises(ValueError, match="valid are moons, circles, spirals, blobs"):
        data.toy_2d("swirl", 10)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        data.toy_2d("moons", 1)


def test_book_data():
    assert [s[0] for s in lbdl.book.sections(1)] == ["1.1", "1.2", "1.3", "1.4"]
    assert len(lbdl.book.load("bibliography")["entries"]) == 78
    assert [f["number"] for f in lbdl.book.figures(1)] == ["1.1", "1.2"]
    assert lbdl.book.topics()[0] == ("Recurrent Neural Networks", 161) and len(lbdl.book.topics()) == 5
    with pytest.raises(ValueError, match="valid are toc, bibliography, index, companion"):
        lbdl.book.load("glossary")
    with pytest.raises(ValueError, match="numbered 1..8"):
        lbdl.book.chapter(12)
    with pytest.raises(ValueError, match="numbered 1..8"):
        lbdl.book.figures(0)


def test_scenes_ground_truth_agrees_with_the_pixels():
    s = data.scenes(40, seed=3)
    assert s.images.shape == (40, 3, 32, 32) and s.masks.shape == (40, 32, 32)
    assert s.images.min() >= 0 and s.images.max() <= 1 and torch.equal(s.images, data.scenes(40, seed=3).images)
    for i in range(40):
        k = s.labels[i] >= 0
        assert 1 <= k.sum() <= 3
        for box, label in zip(s.boxes[i][k], s.labels[i][k]):
            x0, y0, x1, y1 = box.tolist()
            inside = s.masks[i, int(y0):int(y1) + 1, int(x0):int(x1) + 1]
            assert (inside == 1 + label).any(), "each object is visible inside its box"
        assert set(s.masks[i].unique().tolist()) <= {0} | {1 + v for v in s.labels[i][k].tolist()}
    one = data.scenes(30, objects=(1, 1), combos=[(2, 1)], seed=0)
    assert (one.labels[:, 0] == 2).all() and (one.colours[:, 0] == 1).all()
    with pytest.raises(ValueError, match="combos are"):
        data.scenes(2, combos=[(5, 0)])
    with pytest.raises(ValueError, match="sides"):
        data.scenes(2, sides=(20, 40))


def test_speech_utterances_and_photo_crops():
    u = data.speech(6, words=(2, 2), seed=1)
    assert u.waves.shape[0] == 6 and all(len(w) == 2 for w in u.words)
    assert all(len(p) == sum(len(data.audio.WORDS[w]) for w in ws) for p, ws in zip(u.phonemes, u.words))
    assert (u.waves[:, : u.lengths.min()].abs().amax(1) > 0).all() and u.waves.abs().max() <= 2
    with pytest.raises(ValueError, match="vocabulary"):
        data.speech(2, vocabulary=("hello",))
    train, test = data.photo_crops(50, part="train", seed=0), data.photo_crops(50, part="test", seed=0)
    assert train.shape == test.shape == (50, 3, 32, 32) and 0 <= train.min() and train.max() <= 1
    with pytest.raises(ValueError, match="part must be"):
        data.photo_crops(2, part="validation")
