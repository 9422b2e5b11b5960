"""lrlab.tutorial.data: the embedded MNIST subset, the IDX reader/writer and the loaders."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrlab.tutorial import data
from lrlab.tutorial.data import find_mnist_files, load_mnist, read_idx, tensor_loader, write_idx


def test_embedded_splits_are_disjoint_balanced_and_scaled():
    all_x, all_y = load_mnist("embedded", "all")
    tr_x, tr_y = load_mnist("embedded", "train")
    te_x, te_y = load_mnist("embedded", "test")
    assert all_x.shape == (5000, 1, 28, 28) and all_x.dtype == np.float32
    assert all_y.dtype == np.int64 and np.bincount(all_y).tolist() == [500] * 10
    assert (len(tr_y), len(te_y)) == (4000, 1000)
    assert np.bincount(te_y).tolist() == [100] * 10
    assert all_x.min() == 0.0 and all_x.max() == 1.0
    # Train and test together are exactly the 5,000 digits, each once.
    key = lambda x: {row.tobytes() for row in (x.reshape(len(x), -1) * 255).astype(np.uint8)}  # noqa: E731
    assert len(key(tr_x) | key(te_x)) == len(key(all_x))
    assert not key(tr_x) & key(te_x)


def test_embedded_train_split_is_shuffled_and_fixed():
    _, y1 = load_mnist("embedded", "train")
    _, y2 = load_mnist("embedded", "train")
    np.testing.assert_array_equal(y1, y2)
    # The stored file is sorted by label; the first 200 training digits must mix classes.
    assert len(set(y1[:200].tolist())) == 10


def test_load_mnist_does_not_import_torch():
    code = "import sys, lrlab.tutorial.data as d; d.load_mnist(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_roundtrip(tmp_path, dtype, suffix):
    arr = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    path = write_idx(tmp_path / f"a-idx3{suffix}", arr)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, arr)


def test_read_idx_matches_hand_written_header(tmp_path):
    # Written byte by byte from the format spec, independent of write_idx.
    raw = bytes([0, 0, 0x08, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes(range(6))
    (tmp_path / "m").write_bytes(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "m"), [[0, 1, 2], [3, 4, 5]])
    (tmp_path / "m.gz").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "m.gz"), [[0, 1, 2], [3, 4, 5]])


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"\x01\x00\x08\x01", "must start with two zero bytes"),
        (b"\x00\x00\x07\x01" + (1).to_bytes(4, "big") + b"\x00", "type code"),
        (b"\x00\x00\x08\x02" + (1).to_bytes(4, "big"), "truncated"),
        (b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + b"\x00", "needs 3"),
    ],
)
def test_read_idx_rejects_bad_files(tmp_path, raw, match):
    (tmp_path / "bad").write_bytes(raw)
    with pytest.raises(ValueError, match=match):
        read_idx(tmp_path / "bad")


def test_write_idx_rejects_unknown_dtype(tmp_path):
    with pytest.raises(TypeError, match="array dtype must be one of"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.complex64))


def _write_mnist(folder: Path, n_train: int = 7, n_test: int = 3, gz: bool = False, sep: str = "-") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    ext = ".gz" if gz else ""
    for stem, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{stem}-images{sep}idx3-ubyte{ext}", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{stem}-labels{sep}idx1-ubyte{ext}", rng.integers(0, 10, n, dtype=np.uint8))


@pytest.mark.parametrize(
    ("gz", "sep", "sub"), [(False, "-", ""), (True, "-", ""), (False, ".", ""), (True, "-", "MNIST/raw")]
)
def test_folder_source_reads_idx_files(tmp_path, gz, sep, sub):
    _write_mnist(tmp_path / sub, gz=gz, sep=sep)
    x, y = load_mnist(tmp_path, "train")
    assert x.shape == (7, 1, 28, 28) and y.shape == (7,) and x.dtype == np.float32
    raw = read_idx(find_mnist_files(tmp_path)["train"][0])
    np.testing.assert_array_equal(x[:, 0], raw.astype(np.float32) / 255)
    assert load_mnist(str(tmp_path), "test")[0].shape == (3, 1, 28, 28)
    assert load_mnist(tmp_path, "all")[1].shape == (10,)


def test_folder_without_mnist_files_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="holds no MNIST files"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_folder_missing_one_split(tmp_path):
    _write_mnist(tmp_path)
    for p in tmp_path.glob("t10k-*"):
        p.unlink()
    assert load_mnist(tmp_path, "train")[0].shape[0] == 7
    with pytest.raises(ValueError, match="has no 'test' split files"):
        load_mnist(tmp_path, "test")


def test_mismatched_images_and_labels(tmp_path):
    _write_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"must be \(N, H, W\) images and \(N,\) labels"):
        load_mnist(tmp_path)


def test_unknown_split():
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist("embedded", "validation")


def test_loaders_batches_and_determinism():
    import torch

    before = torch.get_rng_state()
    train, test = data.mnist_loaders(batch_size=500, seed=3)
    xb, yb = next(iter(train))
    assert xb.shape == (500, 1, 28, 28) and xb.dtype == torch.float32 and yb.dtype == torch.int64
    again, _ = data.mnist_loaders(batch_size=500, seed=3)
    torch.testing.assert_close(next(iter(again))[1], yb, rtol=0, atol=0)
    assert len(test) == 2 and torch.equal(torch.get_rng_state(), before)


def test_tensor_loader_errors():
    x, y = np.zeros((4, 1, 28, 28), np.float32), np.zeros(4, np.int64)
    with pytest.raises(ValueError, match=r"batch_size must be .*>= 1, got 0"):
        tensor_loader(x, y, 0)
    with pytest.raises(ValueError, match="same length"):
        tensor_loader(x, y[:3], 2)
