"""Mixed-precision training on every device mmext trains on: what ``tools/train.py --amp`` switches on.

mmengine's ``AmpOptimWrapper`` (fp16 autocast with dynamic loss scaling) stops on a machine without an accelerator
("AmpOptimizerWrapper is only available training on gpu, npu, mlu or musa"). :class:`CPUAmpOptimWrapper` is its
CPU counterpart, bf16 autocast, and :func:`amp_optim_wrapper_cfg` picks one of the two for the device the Runner
trains on. Importing this module registers the wrapper in MMEngine's root ``OPTIM_WRAPPERS``, so configs of every
scope can name it; every mmext import entry (``mmext.seg``, ``mmext.pretrain``, ``mmext.emotion``) imports it.
"""
import logging
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

# Devices on which mmengine's AmpOptimWrapper (fp16 + GradScaler) runs.
ACCELERATORS = ('cuda', 'npu', 'mlu', 'musa')
AMP_OPTIM_WRAPPERS = ('OptimWrapper', 'AmpOptimWrapper', 'CPUAmpOptimWrapper')


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` that runs the forward pass and the loss under bf16 CPU autocast.

    Parameters, gradients and the optimizer state stay fp32; the ops on torch's CPU autocast list (convolutions,
    linear layers, matmuls, ...) run in bf16, the others in fp32. bf16 has fp32's exponent range, so small gradients
    do not underflow and, unlike fp16 on CUDA (mmengine's ``AmpOptimWrapper``), no loss scaling is needed.

    Checkpoints are those of ``OptimWrapper``; the loss-scaler state in the checkpoint of a CUDA AMP run is
    ignored on resume, so a run can move between a GPU and a CPU.

    Args:
        dtype (str | torch.dtype): autocast dtype; only ``'bfloat16'`` (fp16 without loss scaling would flush small
            gradients to zero). Default 'bfloat16'.
        **kwargs: arguments of :class:`~mmengine.optim.OptimWrapper` (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs) -> None:
        if dtype not in ('bfloat16', torch.bfloat16):
            raise ValueError(f"CPUAmpOptimWrapper: dtype must be 'bfloat16', got {dtype!r}; fp16 needs loss "
                             "scaling, which mmengine's AmpOptimWrapper provides on GPUs.")
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient-accumulation context of ``OptimWrapper`` plus bf16 CPU autocast."""
        with super().optim_context(model), torch.autocast(device_type='cpu', dtype=self.cast_dtype):
            yield

    def load_state_dict(self, state_dict: dict) -> None:
        """Loads the optimizer state, dropping the ``loss_scaler`` entry a CUDA AMP checkpoint has."""
        super().load_state_dict({key: value for key, value in state_dict.items() if key != 'loss_scaler'})


def amp_optim_wrapper_cfg(optim_wrapper: dict, device: str) -> dict:
    """The ``optim_wrapper`` config with mixed precision on for training on ``device``.

    On an accelerator (``ACCELERATORS``) mmengine's ``AmpOptimWrapper`` with dynamic loss scaling (fp16 unless the
    config sets ``dtype``); on the CPU :class:`CPUAmpOptimWrapper` (bf16; fp16-only settings such as ``loss_scale``
    are dropped). A config already set up for the device is returned unchanged.

    Args:
        optim_wrapper (dict): the config's ``optim_wrapper``; its ``type`` must be one of ``AMP_OPTIM_WRAPPERS``
            (missing means ``OptimWrapper``).
        device (str): ``mmengine.device.get_device()``: 'cpu', 'cuda', 'npu', 'mlu' or 'musa'.

    Returns:
        dict: a new config (the argument is not modified).
    """
    wrapper = optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in AMP_OPTIM_WRAPPERS:
        raise ValueError(f'--amp needs optim_wrapper.type to be one of {AMP_OPTIM_WRAPPERS}, got {wrapper!r}; '
                         'set the mixed-precision wrapper in the config yourself instead.')
    if device not in ACCELERATORS + ('cpu', ):
        raise ValueError(f'--amp supports training on {ACCELERATORS + ("cpu", )}, but the device is {device!r}.')
    target = 'CPUAmpOptimWrapper' if device == 'cpu' else 'AmpOptimWrapper'
    if wrapper == target:
        print_log('AMP training is already enabled in the config.', logger='current', level=logging.WARNING)
        return dict(optim_wrapper)
    cfg = dict(optim_wrapper, type=target)
    if target == 'AmpOptimWrapper':
        cfg.setdefault('loss_scale', 'dynamic')
        cfg.pop('dtype', None)  # a CPU run's bf16; the GPU default is fp16 with loss scaling
    else:
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            cfg.pop(key, None)
    return cfg
