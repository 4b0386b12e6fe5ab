"""EViT's keep-rate warmup for token-reducing backbones (used by the from-scratch BAT configs)."""
from numbers import Real
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from mmext.pretrain.models.utils import keep_rate_at
from mmext.utils.validation import check_type


@HOOKS.register_module()
class KeepRateWarmupHook(Hook):
    """Anneals the backbone's ``keep_rate`` from 1 to its configured value during training.

    Training keeps every token for ``start_epoch`` epochs, then follows a cosine from 1 to the target over
    ``warmup_epochs`` epochs (:func:`mmext.pretrain.models.utils.keep_rate_at`). Validation and testing always use the
    target, so reported accuracy and FLOPs are those of the final model.

    Args:
        start_epoch (float): epochs at keep rate 1. Default: 10 (EViT's schedule).
        warmup_epochs (float): length of the cosine window in epochs. Default: 100.
        by_iter (bool): update every iteration with fractional epochs (True) or once per epoch. Default: True.
    """
    priority = 'NORMAL'

    def __init__(self, start_epoch: float = 10, warmup_epochs: float = 100, by_iter: bool = True) -> None:
        check_type('start_epoch', start_epoch, Real, 'a number of epochs >= 0')
        check_type('warmup_epochs', warmup_epochs, Real, 'a number of epochs >= 0')
        check_type('by_iter', by_iter, bool, 'True or False')
        if start_epoch < 0 or warmup_epochs < 0:
            raise ValueError(f'start_epoch ({start_epoch}) and warmup_epochs ({warmup_epochs}) must be >= 0')
        self.start_epoch = start_epoch
        self.warmup_epochs = warmup_epochs
        self.by_iter = by_iter
        self.target: Optional[float] = None

    @staticmethod
    def _backbone(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        backbone = getattr(model, 'backbone', None)
        if backbone is None or not hasattr(backbone, 'keep_rate'):
            raise TypeError(f'KeepRateWarmupHook needs a model whose backbone has a keep_rate attribute (e.g. '
                            f'BATViT); got backbone {type(backbone).__name__}. Remove the hook from custom_hooks.')
        return backbone

    def before_train(self, runner) -> None:
        self.target = self._backbone(runner).keep_rate

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        epoch = runner.epoch
        if self.by_iter:
            epoch += batch_idx / len(runner.train_dataloader)
        self._backbone(runner).keep_rate = keep_rate_at(epoch, self.target, self.start_epoch, self.warmup_epochs)

    def _use_target(self, runner) -> None:
        if self.target is not None:
            self._backbone(runner).keep_rate = self.target

    def before_val_epoch(self, runner) -> None:
        self._use_target(runner)

    def before_test_epoch(self, runner) -> None:
        self._use_target(runner)

    def after_train(self, runner) -> None:
        self._use_target(runner)
