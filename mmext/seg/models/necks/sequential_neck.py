"""Chain several necks, for segmentors whose decoder already starts with a neck (e.g. Semantic FPN's ``FPN``).

mmseg's ``EncoderDecoder`` builds a single ``neck``. Inserting a refinement neck such as :class:`SDNNeck` between the
backbone and an existing neck therefore needs a container that applies necks in order.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule, ModuleList
from mmseg.registry import MODELS


@MODELS.register_module()
class SequentialNeck(BaseModule):
    """Apply necks one after another; each receives the previous one's tuple of maps.

    Example (SDN on the backbone features, then Semantic FPN's own FPN)::

        neck=dict(type='SequentialNeck', necks=[
            dict(type='SDNNeck', in_channels=[256, 512, 1024, 2048]),
            dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=4)])

    Args:
        necks (Sequence[dict]): Neck configs, applied in order; at least one.
        init_cfg (dict | list[dict], optional): MMEngine initialisation config.
    """

    def __init__(self, necks: Sequence[Dict], init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not necks:
            raise ValueError('necks must list at least one neck config.')
        self.necks = ModuleList([MODELS.build(cfg) for cfg in necks])

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Run the necks in order.

        Args:
            inputs (Sequence[Tensor]): Backbone maps, level i of shape (B, C_i, H_i, W_i).

        Returns:
            tuple[Tensor]: The last neck's outputs.
        """
        outs = tuple(inputs)
        for neck in self.necks:
            outs = tuple(neck(outs))
        return outs
