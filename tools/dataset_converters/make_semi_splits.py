"""Labelled / unlabelled split lists for semi-supervised segmentation, in mmseg's ``ann_file`` format.

Two ways to get them:

``make``: draw the standard partitions with a fixed seed from the dataset's own lists::

    # VOC classic: labelled images drawn from the 1,464 fine train images, the rest of the 10,582 unlabelled
    python tools/dataset_converters/make_semi_splits.py make voc-classic --data-root data/VOCdevkit/VOC2012
    # VOC blended: 1/16 ... 1/2 of the 10,582 augmented train images labelled
    python tools/dataset_converters/make_semi_splits.py make voc-blended --data-root data/VOCdevkit/VOC2012
    # Cityscapes: 1/16 ... 1/2 of the 2,975 train images labelled (the list is read from leftImg8bit/train)
    python tools/dataset_converters/make_semi_splits.py make cityscapes --data-root data/cityscapes

``convert``: rewrite the published lists (AugSeg's ``data/splitsall.tar.gz``, identical to LiheYoung/UniMatch's
``splits/``: ``pascal/<n>/{labeled,unlabeled}.txt`` with VOC image ids, ``cityscapes/<n>/...`` with paths such as
``leftImg8bit/train/jena/jena_000078_000019_leftImg8bit.png``)::

    python tools/dataset_converters/make_semi_splits.py convert voc splitsall/pascal \
        data/VOCdevkit/VOC2012/splits/voc_classic        # the 92 ... 1464 folders
    python tools/dataset_converters/make_semi_splits.py convert cityscapes splitsall/cityscapes \
        data/cityscapes/splits/cityscapes

Both write ``<out-dir>/<n>/labeled.txt`` and ``unlabeled.txt``, one name per line without suffix (``2007_000032``;
Cityscapes ``jena/jena_000078_000019``), which mmseg's ``PascalVOCDataset``/``CityscapesDataset`` read as
``ann_file`` relative to ``data_root``. Results on drawn splits are not comparable with published numbers: use the
published lists (``convert``) for that (``docs/augseg.md``).
"""
import argparse
import glob
import os
import os.path as osp
import sys
from typing import Dict, List, Sequence

import numpy as np

# The standard partition sizes: VOC classic and the 1/16 ... 1/2 fractions (rounded up) of 10,582 and 2,975 images.
PRESETS = {
    'voc-classic': dict(sizes=(92, 183, 366, 732, 1464), pool='ImageSets/Segmentation/train.txt',
                        all='ImageSets/Segmentation/aug.txt', out='splits/voc_classic'),
    'voc-blended': dict(sizes=(662, 1323, 2646, 5291), pool=None, all='ImageSets/Segmentation/aug.txt',
                        out='splits/voc_blended'),
    'cityscapes': dict(sizes=(186, 372, 744, 1488), pool=None, all=None, out='splits/cityscapes'),
}
CITYSCAPES_SUFFIX = '_leftImg8bit.png'


def read_list(path: str) -> List[str]:
    """Non-empty stripped lines of a list file (the published lists have no final newline)."""
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def write_list(path: str, names: Sequence[str]) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.writelines(f'{name}\n' for name in names)


def to_mmseg_name(dataset: str, line: str) -> str:
    """A published list entry -> mmseg's ann_file entry (VOC ids unchanged; Cityscapes ``city/name``)."""
    if dataset == 'voc':
        return osp.splitext(osp.basename(line.split()[0]))[0]
    path = line.split()[0]
    if not path.endswith(CITYSCAPES_SUFFIX):
        raise ValueError(f'not a Cityscapes leftImg8bit path: {line!r}')
    parts = path[:-len(CITYSCAPES_SUFFIX)].split('/')
    return '/'.join(parts[-2:])


def cityscapes_train_names(data_root: str) -> List[str]:
    """``city/name`` of every image under ``data_root/leftImg8bit/train``, sorted."""
    pattern = osp.join(data_root, 'leftImg8bit', 'train', '*', '*' + CITYSCAPES_SUFFIX)
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise FileNotFoundError(f'no Cityscapes train images match {pattern}')
    return [to_mmseg_name('cityscapes', osp.relpath(p, data_root)) for p in paths]


def draw_splits(all_names: Sequence[str], pool: Sequence[str], sizes: Sequence[int],
                seed: int) -> Dict[int, Dict[str, List[str]]]:
    """For each size n: n labelled names drawn without replacement from ``pool`` (seeded per size), and every
    other name of ``all_names`` (in its order) unlabelled.

    Raises:
        ValueError: if a size exceeds the pool or the pool has names outside ``all_names``.
    """
    missing = set(pool) - set(all_names)
    if missing:
        raise ValueError(f'{len(missing)} labelled-pool names are not in the full list, e.g. {sorted(missing)[:3]}')
    splits = {}
    for n in sizes:
        if n > len(pool):
            raise ValueError(f'cannot draw {n} labelled images from a pool of {len(pool)}')
        rng = np.random.default_rng([seed, n])
        labeled = [pool[i] for i in sorted(rng.choice(len(pool), size=n, replace=False))]
        chosen = set(labeled)
        splits[n] = dict(labeled=labeled, unlabeled=[name for name in all_names if name not in chosen])
    return splits


def write_splits(out_dir: str, splits: Dict[int, Dict[str, List[str]]]) -> None:
    for n, lists in splits.items():
        for kind, names in lists.items():
            write_list(osp.join(out_dir, str(n), f'{kind}.txt'), names)
        print(f'{osp.join(out_dir, str(n))}: {len(lists["labeled"])} labelled, {len(lists["unlabeled"])} unlabelled')


def make(args: argparse.Namespace) -> None:
    preset = PRESETS[args.preset]
    sizes = args.sizes or preset['sizes']
    if args.preset == 'cityscapes':
        all_names = read_list(args.all) if args.all else cityscapes_train_names(args.data_root)
    else:
        all_names = read_list(args.all or osp.join(args.data_root, preset['all']))
    pool_file = args.pool or (preset['pool'] and osp.join(args.data_root, preset['pool']))
    pool = read_list(pool_file) if pool_file else all_names
    write_splits(args.out_dir or osp.join(args.data_root, preset['out']), draw_splits(all_names, pool, sizes,
                                                                                       args.seed))


def convert(args: argparse.Namespace) -> None:
    splits = {}
    for folder in sorted(os.listdir(args.official_dir)):
        path = osp.join(args.official_dir, folder)
        if not (folder.isdigit() and osp.isfile(osp.join(path, 'labeled.txt'))):
            continue
        lists = {kind: [to_mmseg_name(args.dataset, line) for line in read_list(osp.join(path, f'{kind}.txt'))]
                 for kind in ('labeled', 'unlabeled')}
        overlap = set(lists['labeled']) & set(lists['unlabeled'])
        if overlap:
            raise ValueError(f'{path}: {len(overlap)} images are both labelled and unlabelled')
        splits[int(folder)] = lists
    if not splits:
        raise FileNotFoundError(f'no <n>/labeled.txt folders under {args.official_dir}')
    write_splits(args.out_dir, splits)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    p_make = sub.add_parser('make', help='draw the standard partitions with a fixed seed')
    p_make.add_argument('preset', choices=sorted(PRESETS))
    p_make.add_argument('--data-root', required=True, help='VOC2012 or cityscapes folder')
    p_make.add_argument('--all', help='list of every training image (default: the preset\'s list under data-root)')
    p_make.add_argument('--pool', help='list the labelled images are drawn from (default: the preset\'s)')
    p_make.add_argument('--sizes', nargs='+', type=int, help='labelled counts (default: the preset\'s)')
    p_make.add_argument('--seed', type=int, default=0)
    p_make.add_argument('--out-dir', help='default: <data-root>/splits/<preset>')
    p_convert = sub.add_parser('convert', help='convert published AugSeg/UniMatch split lists')
    p_convert.add_argument('dataset', choices=('voc', 'cityscapes'))
    p_convert.add_argument('official_dir', help='folder holding <n>/labeled.txt and <n>/unlabeled.txt')
    p_convert.add_argument('out_dir')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    (make if args.command == 'make' else convert)(args)


if __name__ == '__main__':
    main(sys.argv[1:])
