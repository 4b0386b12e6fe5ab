"""CAEv2ViT: mmpretrain's BEiTViT taking a CAE v2 pre-training checkpoint as the official downstream code does.

Official code (Atten4Vis/CAE): fine-tuning (``tools/run_class_finetuning.py``, ``models/modeling_finetune.py``) and
ADE20K segmentation (``downstream_tasks/semantic_segmentation/backbone/cae.py`` and its checkpoint loader). Two
differences from loading the same checkpoint into mmpretrain's ``BEiTViT``:

1. The pre-trained final LayerNorm (``ln1``, the encoder's last norm) becomes the norm after mean pooling
   (``ln2``; the official ``fc_norm``): ``run_class_finetuning.py`` copies ``norm.*`` to ``fc_norm.*``. BEiTViT
   built with ``out_type='avg_featmap', final_norm=False`` has no ``ln1`` and would drop it, starting ``ln2`` at
   (1, 0).
2. The absolute position table is fixed: the official fine-tuning (``--sin_pos_emb``) and segmentation backbones
   build a sin-cos table with ``requires_grad=False`` and overwrite it with the pre-trained one (resized bicubically
   to the grid by BEiTViT's load hook, as by the official loader). A fixed table is also left out of the optimizer
   by mmpretrain's and mmseg's layer-decay constructors, which skip parameters without gradients.

See ``docs/cae_v2.md`` §7.
"""
from typing import MutableMapping

import torch
from mmengine.logging import MMLogger
from mmpretrain.models.backbones import BEiTViT
from mmpretrain.models.utils import build_2d_sincos_position_embedding
from mmpretrain.registry import MODELS


def final_norm_as_pooled_norm(state_dict: MutableMapping[str, torch.Tensor], prefix: str = '') -> bool:
    """Rename a checkpoint's final norm ``{prefix}ln1.*`` to the pooled-feature norm ``{prefix}ln2.*``, in place.

    Nothing changes when the checkpoint has no ``ln1`` or already has an ``ln2`` (e.g. a fine-tuned checkpoint).

    Args:
        state_dict (MutableMapping[str, Tensor]): the state dict being loaded.
        prefix (str): the module's key prefix in it.

    Returns:
        bool: whether keys were renamed.
    """
    final = [key for key in state_dict if key.startswith(prefix + 'ln1.')]
    if not final or any(key.startswith(prefix + 'ln2.') for key in state_dict):
        return False
    for key in final:
        state_dict[prefix + 'ln2.' + key[len(prefix + 'ln1.'):]] = state_dict.pop(key)
    return True


@MODELS.register_module()
class CAEv2ViT(BEiTViT):
    """BEiTViT for CAE v2 fine-tuning and segmentation: pre-trained final norm into the pooled-feature norm, fixed
    absolute position table.

    Args:
        fixed_pos_embed (bool): keep the absolute position table (``use_abs_pos_emb=True``) out of training; without
            a ``Pretrained`` init it is the 2-D sin-cos table of the grid (CLS slot zero), as the official backbones
            build it. Default: True.
        final_norm_to_pooled_norm (bool): with ``out_type='avg_featmap'`` and ``final_norm=False``, load a
            checkpoint's final norm ``ln1`` into ``ln2``, the norm after mean pooling (official ``fc_norm``).
            Default: True.
        **kwargs: :class:`~mmpretrain.models.backbones.BEiTViT`'s arguments.
    """

    def __init__(self, *args, fixed_pos_embed: bool = True, final_norm_to_pooled_norm: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_pos_embed = fixed_pos_embed and self.pos_embed is not None
        if self.fixed_pos_embed:
            self.pos_embed.requires_grad_(False)
        if final_norm_to_pooled_norm and self.out_type == 'avg_featmap' and not self.final_norm:
            self._register_load_state_dict_pre_hook(self._load_final_norm_as_pooled_norm)

    def init_weights(self) -> None:
        """BEiTViT's initialisation; a fixed table that no checkpoint fills becomes the sin-cos table."""
        super().init_weights()
        pretrained = isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'
        if self.fixed_pos_embed and not pretrained:
            table = build_2d_sincos_position_embedding(
                self.patch_resolution, self.embed_dims, cls_token=self.num_extra_tokens > 0)
            self.pos_embed.data.copy_(table.to(self.pos_embed))

    def _load_final_norm_as_pooled_norm(self, state_dict: dict, prefix: str, *args) -> None:
        if final_norm_as_pooled_norm(state_dict, prefix):
            MMLogger.get_current_instance().info(
                'CAEv2ViT: the checkpoint\'s final norm (ln1) initialises the norm after mean pooling (ln2), as the '
                'official CAE v2 fine-tuning loads norm into fc_norm.')
