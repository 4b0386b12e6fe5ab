"""Keep only the weights of a training checkpoint, so that weights-only loaders accept it.

A checkpoint saved by mmengine's ``CheckpointHook`` pickles the optimizer, the schedulers and the message hub next to
the weights. ``init_cfg=dict(type='Pretrained', ...)`` and ``mmengine.runner.load_checkpoint`` load with torch's
``weights_only=True`` (see ``mmext/utils/checkpoint_compat.py``) and refuse such a file; this tool writes
``{'state_dict': ..., 'meta': <plain entries of meta>}``, checks that the result loads with ``weights_only=True`` and
prints its SHA-256, as OpenMMLab's ``publish_model`` does::

    python tools/misc/publish_model.py work_dirs/cfg/epoch_300.pth work_dirs/cfg/epoch_300.pth   # in place
    python tools/misc/publish_model.py work_dirs/cfg/epoch_300.pth release/cfg.pth --sha-suffix   # cfg-1a2b3c4d.pth

Only run it on checkpoints you trust: reading the input unpickles it without restrictions.
"""
import argparse
import hashlib
import os
import os.path as osp
from typing import Any

import torch

#: meta entries kept: plain values that describe the run; everything else (the config text, environment) is dropped.
KEPT_META_KEYS = ('epoch', 'iter', 'seed', 'experiment_name', 'mmengine_version', 'dataset_meta')


def _is_plain(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool, type(None))):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain(item) for key, item in value.items())
    return False


def published_checkpoint(checkpoint: dict, source: str) -> dict:
    """The weights and the plain meta entries of a loaded checkpoint.

    Args:
        checkpoint (dict): what ``torch.load`` returned for the training checkpoint.
        source (str): its path, for the error message.

    Returns:
        dict: ``{'state_dict': OrderedDict[str, Tensor], 'meta': dict}``.
    """
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise KeyError(f'{source} has no "state_dict" entry (found {found}); it is not an mmengine checkpoint.')
    meta = checkpoint.get('meta') or {}
    kept = {key: meta[key] for key in KEPT_META_KEYS if key in meta and _is_plain(meta[key])}
    return {'state_dict': checkpoint['state_dict'], 'meta': kept}


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for block in iter(lambda: file.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description='Keep only the weights of a training checkpoint')
    parser.add_argument('in_file', help='checkpoint saved during training (trusted: it is unpickled in full)')
    parser.add_argument('out_file', help='where to write the weights (may be in_file itself)')
    parser.add_argument('--sha-suffix', action='store_true',
                        help='append the first 8 hex digits of the SHA-256 to the name, OpenMMLab-release style')
    args = parser.parse_args(argv)
    if not osp.isfile(args.in_file):
        raise FileNotFoundError(f'in_file {args.in_file!r} does not exist')
    checkpoint = torch.load(args.in_file, map_location='cpu', weights_only=False)
    published = published_checkpoint(checkpoint, args.in_file)
    out_dir = osp.dirname(osp.abspath(args.out_file))
    os.makedirs(out_dir, exist_ok=True)
    partial = args.out_file + '.partial'
    torch.save(published, partial)
    torch.load(partial, map_location='cpu', weights_only=True)  # what the weights-only loaders will do
    out_file = args.out_file
    digest = sha256_of(partial)
    if args.sha_suffix:
        stem, ext = osp.splitext(args.out_file)
        out_file = f'{stem}-{digest[:8]}{ext}'
    os.replace(partial, out_file)  # atomic, so publishing in place never leaves a half-written checkpoint
    print(f'{out_file}: {len(published["state_dict"])} tensors, sha256 {digest}')
    return out_file


if __name__ == '__main__':
    main()
