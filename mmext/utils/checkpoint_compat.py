"""Loading of mmengine's own training checkpoints on torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default. mmengine 0.10.7 calls ``torch.load`` without the
argument, so its training checkpoints, which pickle a ``MessageHub`` full of ``HistoryBuffer`` objects, fail with
``UnpicklingError: Weights only load failed`` on ``--resume`` and ``load_from`` (open-mmlab/mmengine#1655).

mmext trusts exactly the files a user points the Runner at on purpose: ``Runner.resume`` and
``Runner.load_checkpoint`` (which ``resume``/``load_from`` in a config, ``--resume`` and ``tools/test.py CHECKPOINT``
go through) load with ``weights_only=False``. Every other local load through mmengine's ``CheckpointLoader``
(``init_cfg=dict(type='Pretrained')``, ``mmengine.runner.load_checkpoint``) keeps torch's safe ``weights_only=True``
default, so a checkpoint whose pickle would run code is still refused there.
"""
import contextlib
import contextvars
import functools
import os.path as osp
import pickle
from typing import Callable, Iterator, Optional

import torch
from mmengine.runner import CheckpointLoader, Runner

_trusted = contextvars.ContextVar('mmext_trusted_checkpoint', default=False)
_installed = False


@contextlib.contextmanager
def trusted_checkpoint_loading() -> Iterator[None]:
    """Within this context, local checkpoints load with ``weights_only=False``.

    Use it only around files you produced yourself or otherwise trust: unpickling can execute arbitrary code.
    """
    token = _trusted.set(True)
    try:
        yield
    finally:
        _trusted.reset(token)


def load_local_checkpoint(filename: str, map_location: Optional[str] = None) -> dict:
    """mmengine's local-file loader with an explicit ``weights_only`` (trusted only inside
    :func:`trusted_checkpoint_loading`)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename!r} does not exist')
    weights_only = not _trusted.get()
    try:
        return torch.load(filename, map_location=map_location, weights_only=weights_only)
    except pickle.UnpicklingError as error:
        if not weights_only:
            raise
        # The usual case is a full training checkpoint (optimizer, message hub) given as pretrained weights.
        raise pickle.UnpicklingError(
            f'{filename!r} holds more than weights (e.g. a training checkpoint with its optimizer and message hub), '
            'and weights-only loading refuses it. If you trust the file (you trained it), keep its weights once with '
            f'`python tools/misc/publish_model.py {filename} OUT.pth` and point the config at OUT.pth '
            f'(OUT may be the same path). torch said: {error}') from error


def _trusting(method: Callable) -> Callable:

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with trusted_checkpoint_loading():
            return method(*args, **kwargs)

    wrapper.__mmext_trusting__ = True
    return wrapper


def allow_trusted_checkpoint_loading() -> None:
    """Install the fix (idempotent): replace mmengine's local checkpoint loader and mark ``Runner.resume`` and
    ``Runner.load_checkpoint`` as trusted entry points."""
    global _installed
    if _installed:
        return
    CheckpointLoader.register_scheme(prefixes='', force=True)(load_local_checkpoint)
    for name in ('resume', 'load_checkpoint'):
        method = getattr(Runner, name)
        if not getattr(method, '__mmext_trusting__', False):
            setattr(Runner, name, _trusting(method))
    _installed = True
