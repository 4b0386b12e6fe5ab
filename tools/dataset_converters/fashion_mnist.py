"""Provide Fashion-MNIST (70,000 real 28 × 28 clothing photos, 10 classes) as raw IDX files for mmpretrain.

mmpretrain's own ``FashionMNIST(data_root=..., download=False)`` reads the four uncompressed IDX files from
``data_root``; this tool fills that folder from the first source that works, in this order:

1. ``--src DIR``: IDX files you already have (``*-ubyte`` or ``*-ubyte.gz``), e.g. from Zalando's repository;
2. the upstream download that mmpretrain's class performs (needs internet; skipped with ``--offline``);
3. offline, the Debian package ``dataset-fashion-mnist`` (built from Zalando's repository): ``apt-get download`` into
   a cache (``~/.cache/mmext/fashion_mnist`` or ``$MMEXT_CACHE/fashion_mnist``) and ``dpkg-deb -x`` there. Nothing is
   installed system-wide and no root is needed.

Whatever the source, the result is checked before it is used: 60,000 training and 10,000 test images of 28 × 28,
as many labels as images, 6,000 / 1,000 images per class, and, for the known release, the MD5 of the decompressed
files (the Debian ``.gz`` files are recompressed, so the upstream ``.gz`` MD5s that mmpretrain checks differ; the
contents are identical). A second run finds the checked files and returns at once::

    python tools/dataset_converters/fashion_mnist.py                       # -> data/fashion_mnist
    python tools/dataset_converters/fashion_mnist.py --src ~/Downloads/fashion-mnist --out data/fashion_mnist

Then ``dict(type='FashionMNIST', data_root='data/fashion_mnist', split='test', test_mode=True, download=False)``.
"""
import argparse
import glob
import gzip
import hashlib
import json
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from mmext.utils import idx

DEBIAN_PACKAGE = 'dataset-fashion-mnist'
DEBIAN_DATA_DIR = 'usr/share/datasets/fashion-mnist'
# The four files mmpretrain's FashionMNIST reads, with the expected (images or labels, split).
FILES = {name: (kind, split)
         for split, names in idx.IDX_FILES.items() for kind, name in zip(('images', 'labels'), names)}
# MD5 of the decompressed files of the Zalando release (the same in the upstream download and the Debian package).
RELEASE_MD5 = {
    'train-images-idx3-ubyte': 'f4a8712d7a061bf5bd6d2ca38dc4d50a',
    'train-labels-idx1-ubyte': '9018921c3c673c538a1fc5bad174d6f9',
    't10k-images-idx3-ubyte': '8181f5470baa50b63fa0f6fddb340f0a',
    't10k-labels-idx1-ubyte': '15d484375f8d13e6eb1aabb0c3f46965',
}
NUM_CLASSES = 10
EXPECTED_SIZES = {'train': 60000, 'test': 10000}
CHECKED_STAMP = '.mmext_checked.json'
HOW_TO_PROVIDE = (
    'Provide Fashion-MNIST in one of three ways: (1) --src DIR with the four IDX files (.gz or raw) from '
    'https://github.com/zalandoresearch/fashion-mnist; (2) internet access, for the upstream download mmpretrain '
    'performs; (3) offline, `apt-get download dataset-fashion-mnist` reachable (Debian package registry), which this '
    'tool unpacks into its cache with dpkg-deb.')


class FashionMNISTError(RuntimeError):
    """A source is missing or its files are not Fashion-MNIST as released."""


def read_idx(path: str) -> np.ndarray:
    try:
        return idx.read_idx(path)
    except idx.IDXFormatError as e:
        raise FashionMNISTError(str(e)) from e


def log(message: str) -> None:
    print(f'[fashion_mnist] {message}', flush=True)


def check_release(root: str, expected_sizes: Dict[str, int] = EXPECTED_SIZES,
                  num_classes: int = NUM_CLASSES) -> Dict[str, Dict[str, int]]:
    """Checks the four raw IDX files in ``root``; returns ``{split: {'images': n, 'per_class_min': m, ...}}``.

    Raises:
        FashionMNISTError: naming the file and what is wrong (missing, truncated, counts, per-class balance).
    """
    arrays = {}
    for name, (kind, split) in FILES.items():
        path = osp.join(root, name)
        if not osp.isfile(path):
            raise FashionMNISTError(f'{path} is missing. {HOW_TO_PROVIDE}')
        arrays[kind, split] = read_idx(path)
    summary = {}
    for split, size in expected_sizes.items():
        images, labels = arrays['images', split], arrays['labels', split]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise FashionMNISTError(f'{split} images have shape {images.shape}, expected (N, 28, 28).')
        if labels.ndim != 1 or len(labels) != len(images):
            raise FashionMNISTError(
                f'{split}: {len(images)} images but labels of shape {labels.shape}; the files are from different '
                'releases or truncated.')
        if len(images) != size:
            raise FashionMNISTError(f'{split}: {len(images)} images, expected {size}.')
        counts = np.bincount(labels, minlength=num_classes)
        if len(counts) != num_classes or (counts != size // num_classes).any():
            raise FashionMNISTError(
                f'{split}: images per class {counts.tolist()}, expected {size // num_classes} for each of '
                f'{num_classes} classes.')
        summary[split] = dict(images=int(len(images)), per_class=int(counts[0]))
    return summary


def md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def find_source_file(src: str, name: str) -> Optional[str]:
    """``name`` or ``name.gz`` in ``src`` (searched recursively, so an unpacked archive's folder works)."""
    for candidate in (name, name + '.gz'):
        hits = sorted(glob.glob(osp.join(src, '**', candidate), recursive=True))
        if hits:
            return hits[0]
    return None


def copy_decompressed(src: str, out: str) -> None:
    """Writes the four raw IDX files of ``src`` into ``out`` (decompressing ``.gz``), atomically per file."""
    missing = [name for name in FILES if find_source_file(src, name) is None]
    if missing:
        raise FashionMNISTError(f'{src} lacks {", ".join(missing)} (raw or .gz). {HOW_TO_PROVIDE}')
    os.makedirs(out, exist_ok=True)
    for name in FILES:
        path = find_source_file(src, name)
        opener = gzip.open if path.endswith('.gz') else open
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f'.{name}.')
        with opener(path, 'rb') as fin, os.fdopen(fd, 'wb') as fout:
            shutil.copyfileobj(fin, fout)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the data from other users of a shared data folder
        os.replace(tmp, osp.join(out, name))


def from_src(src: str, out: str) -> None:
    if not osp.isdir(src):
        raise FashionMNISTError(f'--src {src} is not a folder. {HOW_TO_PROVIDE}')
    copy_decompressed(src, out)


def from_upstream_download(out: str, timeout: float = 20.0) -> None:
    """mmpretrain's own download (upstream URLs and MD5s), into a temporary folder first."""
    try:
        from mmpretrain.datasets import FashionMNIST
    except ImportError as e:
        raise FashionMNISTError(f'mmpretrain is not importable ({e})') from e
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # offline, fail in seconds instead of hanging on a connect
    try:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                FashionMNIST(data_root=tmp, split='test', test_mode=True, download=True, lazy_init=True).full_init()
            except Exception as e:  # urllib, socket and mmpretrain's own errors all mean 'not available'
                raise FashionMNISTError(f'upstream download failed ({type(e).__name__}: {e})') from e
            copy_decompressed(tmp, out)
    finally:
        socket.setdefaulttimeout(previous)


def cache_dir() -> str:
    return osp.join(os.environ.get('MMEXT_CACHE', osp.expanduser('~/.cache/mmext')), 'fashion_mnist')


def from_debian_package(out: str, cache: Optional[str] = None) -> None:
    """``apt-get download`` + ``dpkg-deb -x`` into the cache (kept, so a later run needs no registry)."""
    cache = cache or cache_dir()
    unpacked = osp.join(cache, 'deb', DEBIAN_DATA_DIR)
    if find_source_file(unpacked, 'train-images-idx3-ubyte') is None:
        for tool in ('apt-get', 'dpkg-deb'):
            if shutil.which(tool) is None:
                raise FashionMNISTError(f'{tool} not found (not a Debian/Ubuntu machine).')
        os.makedirs(cache, exist_ok=True)
        debs = glob.glob(osp.join(cache, f'{DEBIAN_PACKAGE}_*.deb'))
        if not debs:
            log(f'apt-get download {DEBIAN_PACKAGE} (31 MB) into {cache}')
            result = subprocess.run(['apt-get', 'download', DEBIAN_PACKAGE], cwd=cache, capture_output=True,
                                    text=True)
            debs = glob.glob(osp.join(cache, f'{DEBIAN_PACKAGE}_*.deb'))
            if result.returncode != 0 or not debs:
                raise FashionMNISTError(
                    f'apt-get download {DEBIAN_PACKAGE} failed: {result.stderr.strip()[-300:]} (run `apt-get update` '
                    'first if the package is unknown)')
        log(f'unpacking {osp.basename(debs[0])} with dpkg-deb -x')
        subprocess.run(['dpkg-deb', '-x', debs[0], osp.join(cache, 'deb')], check=True)
    copy_decompressed(unpacked, out)


def release_md5_mismatches(root: str) -> List[str]:
    return [name for name, expected in RELEASE_MD5.items() if md5(osp.join(root, name)) != expected]


def prepare(out: str, src: Optional[str] = None, offline: bool = False, cache: Optional[str] = None,
            expected_sizes: Dict[str, int] = EXPECTED_SIZES) -> Dict[str, Dict[str, int]]:
    """Fills ``out`` with checked raw IDX files from the first source that works; returns the check's summary.

    Idempotent: a folder that passed the check before (its stamp lists the files' sizes) is returned unchanged.
    """
    stamp = osp.join(out, CHECKED_STAMP)
    if osp.isfile(stamp):
        with open(stamp) as f:
            recorded = json.load(f)
        if all(osp.isfile(osp.join(out, name)) and osp.getsize(osp.join(out, name)) == size
               for name, size in recorded['bytes'].items()):
            log(f'{out} already holds the checked files ({recorded["source"]})')
            return recorded['summary']
    sources: List[Tuple[str, Callable[[], None]]] = []
    if src is not None:
        sources = [('--src ' + src, lambda: from_src(src, out))]
    else:
        if not offline:
            sources.append(('upstream download', lambda: from_upstream_download(out)))
        sources.append((f'Debian package {DEBIAN_PACKAGE}', lambda: from_debian_package(out, cache)))
    errors = []
    for name, provide in sources:
        log(f'trying {name}')
        try:
            provide()
        except FashionMNISTError as e:
            log(f'{name}: {e}')
            errors.append(f'{name}: {e}')
            continue
        summary = check_release(out, expected_sizes)
        mismatches = release_md5_mismatches(out)
        if mismatches and expected_sizes == EXPECTED_SIZES:
            log(f'warning: {", ".join(mismatches)} differ from the Zalando release (MD5); counts and labels passed')
        with open(stamp, 'w') as f:
            json.dump(dict(source=name, summary=summary, release_md5_mismatches=mismatches,
                           bytes={n: osp.getsize(osp.join(out, n)) for n in FILES}), f, indent=1)
        log(f'{out}: ' + ', '.join(f'{s} {v["images"]} images ({v["per_class"]} per class)'
                                   for s, v in summary.items()) + f', from {name}')
        return summary
    raise FashionMNISTError('no source provided Fashion-MNIST:\n  ' + '\n  '.join(errors) + f'\n{HOW_TO_PROVIDE}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default='data/fashion_mnist', help='folder mmpretrain reads (data_root)')
    parser.add_argument('--src', help='folder holding the four IDX files (.gz or raw); no other source is tried')
    parser.add_argument('--offline', action='store_true', help='skip the upstream download (no internet here)')
    parser.add_argument('--cache', help='where the Debian package is kept (default ~/.cache/mmext/fashion_mnist)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        prepare(args.out, src=args.src, offline=args.offline, cache=args.cache)
    except FashionMNISTError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
