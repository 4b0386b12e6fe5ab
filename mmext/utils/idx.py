"""Reading IDX files (the MNIST / Fashion-MNIST format) into numpy, with errors that name the file."""
import gzip
import os.path as osp
from typing import Tuple

import numpy as np

# The four files of a Fashion-MNIST (or MNIST) release, as mmpretrain's MNIST/FashionMNIST datasets read them.
IDX_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}


class IDXFormatError(ValueError):
    """An IDX file that is not unsigned bytes, or is truncated."""


def read_idx(path: str) -> np.ndarray:
    """An IDX file (raw or ``.gz``) as a uint8 array of its declared shape.

    Raises:
        IDXFormatError: bad magic number, a type other than unsigned bytes, or fewer values than the header declares.
    """
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise IDXFormatError(f'{path} is not an IDX file (bad magic number); re-download it.')
    dtype_code, ndim = data[2], data[3]
    if dtype_code != 0x08:
        raise IDXFormatError(f'{path}: IDX type 0x{dtype_code:02x}, expected unsigned bytes (0x08).')
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    payload = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if payload.size != int(np.prod(shape)):
        raise IDXFormatError(
            f'{path} declares shape {shape} but holds {payload.size} values: the file is truncated; re-download it.')
    return payload.reshape(shape)


def read_idx_split(root: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """``(images (N, H, W) uint8, labels (N,) uint8)`` of the ``'train'`` or ``'test'`` split in ``root``.

    Raises:
        FileNotFoundError: naming the missing file and the command that provides Fashion-MNIST.
    """
    if split not in IDX_FILES:
        raise ValueError(f'split must be one of {sorted(IDX_FILES)}, got {split!r}')
    arrays = []
    for name in IDX_FILES[split]:
        path = osp.join(root, name)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} not found: run `python tools/dataset_converters/fashion_mnist.py --out {root}` (it fetches '
                'Fashion-MNIST offline from the Debian package, or takes --src DIR), or point the dataset\'s '
                'items_root to a folder with the raw IDX files.')
        arrays.append(read_idx(path))
    images, labels = arrays
    if len(images) != len(labels):
        raise IDXFormatError(f'{root}: {len(images)} {split} images but {len(labels)} labels.')
    return images, labels


def write_idx(path: str, array: np.ndarray) -> None:
    """Writes a uint8 array as an IDX file (raw, or gzip when ``path`` ends with ``.gz``)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(int(d).to_bytes(4, 'big') for d in array.shape)
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'wb') as f:
        f.write(header + array.tobytes())
