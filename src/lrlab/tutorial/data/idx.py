"""The IDX file format of the original MNIST distribution (NumPy only).

An IDX file is a big-endian header — two zero bytes, a type code, the number of
dimensions ``d`` — then ``d`` 32-bit sizes and the data in C order. MNIST uses type
``0x08`` (unsigned byte): ``train-images-idx3-ubyte`` is ``(60000, 28, 28)`` and
``train-labels-idx1-ubyte`` is ``(60000,)``. Files may be gzip-compressed (``.gz``).

Examples:
    >>> import tempfile, pathlib, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny-idx1-ubyte.gz"
    >>> _ = write_idx(path, np.arange(5, dtype=np.uint8))
    >>> read_idx(path).tolist()
    [0, 1, 2, 3, 4]
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from lrlab._checks import one_of

# IDX type code -> big-endian NumPy dtype.
_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in _DTYPES.items()}

__all__ = ["read_idx", "write_idx"]


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        # gzip magic, not the suffix, decides: some mirrors gunzip but keep the name.
        if head == b"\x1f\x8b":
            with gzip.open(fh) as gz:
                return gz.read()
        return fh.read()


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) into an array of its native type.

    Args:
        path: The file, e.g. ``train-images-idx3-ubyte`` or ``t10k-labels-idx1-ubyte.gz``.

    Returns:
        An array with the file's shape, in the file's type (``uint8`` for MNIST), in
        native byte order.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the header is not IDX or the data size does not match it.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file: it must start with two zero bytes")
    code, ndim = raw[2], raw[3]
    if code not in _DTYPES:
        raise ValueError(f"{path} has IDX type code {code:#04x}; known codes are {sorted(_DTYPES)}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path} is truncated: its header promises {ndim} dimensions")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path} holds {len(raw) - header} data bytes but its header {shape} needs {expected}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when the name ends in ``.gz``).

    Args:
        path: Where to write.
        array: Data of an IDX type (uint8, int8, int16, int32, float32 or float64).

    Returns:
        The path written.

    Raises:
        TypeError: If the array's dtype has no IDX type code.
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError(f"array dtype must be {one_of(sorted(map(str, _CODES)))}, got {array.dtype}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path
