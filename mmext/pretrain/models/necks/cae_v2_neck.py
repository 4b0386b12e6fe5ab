"""CAEv2Neck: CAE v2's latent contextual regressor and the shared projection into the teacher's space.

Zhang et al., "CAE v2: Context Autoencoder with CLIP Latent Alignment", TMLR 2023 (arXiv 2211.09799); re-implemented
from the official code (Atten4Vis/CAE, ``models/modeling_cae.py`` ``ContextAutoencoderViT`` with
``model_type='caev2'`` and ``decoder_depth=0``, ``models/modeling_cae_helper.py``). The regressor layers are
mmpretrain's :class:`~mmpretrain.models.necks.cae_neck.CAETransformerRegressorLayer` (CAE v1's, same block). Unlike
mmpretrain's ``CAENeck`` there is no pixel/token decoder and no regressor output norm; the CLS, visible and masked
latents all go through one shared LayerNorm and one Linear head, and every output is L2-normalised::

    z = LN_p(W_p z)                          (only when in_dims != embed_dims; the Tiny model)
    q_0 = mask_token;  q_{l+1} = Regressor_l(q_l, kv=[z_vis, q_l], pos_q=P_msk, pos_kv=[P_vis, P_msk])
    y_g = normalize(W_h LN(x_g) + b_h)   for x_g in (z_cls, z_vis, q_L)

P is a fixed 2-D sin-cos table of width ``embed_dims`` (the neck's own, so that the Tiny model's 96-wide regressor
does not borrow the 192-wide encoder table). See ``docs/cae_v2.md``.

Shape shorthand: B batch, N patches, V visible and M masked patches per image, D encoder width (``in_dims``),
D_r regressor width (``embed_dims``), C output width (``out_dims``).
"""
import math
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.necks.cae_neck import CAETransformerRegressorLayer
from mmpretrain.models.utils import build_2d_sincos_position_embedding
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ..utils.masked_tokens import masked_counts, split_by_mask


@MODELS.register_module()
class CAEv2Neck(BaseModule):
    """Latent contextual regressor + shared LayerNorm/Linear head of CAE v2.

    Args:
        in_dims (int): encoder width D. Default: 768.
        embed_dims (int): regressor width D_r; when it differs from ``in_dims`` the encoder output goes through
            ``Linear(D, D_r)`` and a LayerNorm first (official Tiny: 192 -> 96). Default: 768.
        out_dims (int): output width C, the teacher's token width (512 for CLIP ViT-B/16). Default: 512.
        regressor_depth (int): regressor layers (official: 1 Tiny, 1 Small, 4 Base). Default: 4.
        num_heads (int): regressor heads. Default: 12.
        mlp_ratio (float): regressor MLP expansion. Default: 4.
        qkv_bias (bool): q and v biases in the cross-attention (k has none, as in the official code).
            Default: True.
        drop_rate (float): dropout after the attention projection and in the MLP. Default: 0.
        attn_drop_rate (float): dropout on the attention weights. Default: 0.
        drop_path_rate (float): stochastic depth; layer i gets ``linspace(0, rate, depth)[i]`` (so a single layer
            gets 0, as in the official code). Default: 0.1.
        layer_scale_init_value (float): initial LayerScale of both residual branches; 0 disables it. Default: 0.1.
        num_patches (int): N, a square number (the sin-cos table is built on a sqrt(N) x sqrt(N) grid).
            Default: 196.
        norm_cfg (dict): the norms (projection norm, the regressor's norms, the shared output norm).
            Default: ``dict(type='LN', eps=1e-6)``.
        init_cfg (dict | list[dict], optional): defaults to xavier-uniform Linear weights with zero biases and
            LayerNorms at (1, 0) (the official initialisation); the mask token is drawn from a normal with std 0.02
            truncated at +-0.02 unless the config loads pretrained weights.
    """

    def __init__(self,
                 in_dims: int = 768,
                 embed_dims: int = 768,
                 out_dims: int = 512,
                 regressor_depth: int = 4,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.1,
                 layer_scale_init_value: float = 0.1,
                 num_patches: int = 196,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(type='Xavier', distribution='uniform', layer='Linear'),
                     dict(type='Constant', val=1, bias=0, layer='LayerNorm'),
                 ]) -> None:
        super().__init__(init_cfg=init_cfg)
        grid = math.isqrt(num_patches)
        if num_patches < 1 or grid * grid != num_patches:
            raise ValueError(f'num_patches={num_patches} must be a square number (the patch grid is square).')
        if embed_dims % num_heads or embed_dims % 4:
            raise ValueError(f'embed_dims={embed_dims} must be divisible by num_heads={num_heads} and by 4 (for the '
                             '2-D sin-cos position table).')
        self.num_patches = num_patches
        if in_dims != embed_dims:
            self.input_proj = nn.Linear(in_dims, embed_dims)
            self.input_norm = build_norm_layer(norm_cfg, embed_dims)[1]
        else:
            self.input_proj = self.input_norm = None
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        # Fixed table of the patch positions (the CLS slot of the official table is never used here).
        self.register_buffer(
            'pos_embed', build_2d_sincos_position_embedding(grid, embed_dims)[0], persistent=False)  # [N, D_r]
        drop_path_rates = torch.linspace(0, drop_path_rate, regressor_depth).tolist()
        self.regressors = nn.ModuleList([
            CAETransformerRegressorLayer(
                embed_dims=embed_dims,
                num_heads=num_heads,
                feedforward_channels=int(mlp_ratio * embed_dims),
                qkv_bias=qkv_bias,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=rate,
                layer_scale_init_value=layer_scale_init_value,
                norm_cfg=norm_cfg) for rate in drop_path_rates
        ])
        self.norm = build_norm_layer(norm_cfg, embed_dims)[1]
        self.head = nn.Linear(embed_dims, out_dims)

    def init_weights(self) -> None:
        """The ``init_cfg`` initialisation, then the mask token from a normal (std 0.02) truncated at one std, as
        the official ``trunc_normal_`` wrapper does."""
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            trunc_normal_(self.mask_token, std=.02, a=-.02, b=.02)

    def regress(self, visible: Tensor, mask: Tensor) -> Tensor:
        """Predict the latents of the masked patches from the visible ones.

        Args:
            visible (Tensor): visible latents (after the optional projection), [B, V, D_r].
            mask (Tensor): bool, [B, N], True where masked.

        Returns:
            Tensor: masked latents, [B, M, D_r] (no output norm).
        """
        pos_visible, pos_masked = split_by_mask(self.pos_embed.expand(mask.shape[0], -1, -1).to(visible.dtype), mask)
        pos_kv = torch.cat([pos_visible, pos_masked], dim=1)
        query = self.mask_token.expand_as(pos_masked).to(visible.dtype)
        for layer in self.regressors:
            query = layer(query, torch.cat([visible, query], dim=1), pos_masked, pos_kv)
        return query

    def forward(self, x: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Project the encoder's CLS and visible latents and the regressed masked latents into the teacher space.

        Args:
            x (Tensor): encoder output, CLS first, visible patches in raster order, [B, 1 + V, D].
            mask (Tensor): bool, [B, N], True where masked.

        Returns:
            tuple[Tensor, Tensor, Tensor]: L2-normalised predictions for the CLS token [B, 1, C], the visible
            patches [B, V, C] and the masked patches [B, M, C].
        """
        if mask.shape[1] != self.num_patches:
            raise ValueError(f'mask has {mask.shape[1]} patches but the neck was built with num_patches='
                             f'{self.num_patches}.')
        num_visible, _ = masked_counts(mask)
        if x.shape[1] != 1 + num_visible:
            raise ValueError(f'the encoder returned {x.shape[1]} tokens; expected CLS + {num_visible} visible.')
        if self.input_proj is not None:
            x = self.input_norm(self.input_proj(x))
        cls_latent, visible = x[:, :1], x[:, 1:]
        masked = self.regress(visible, mask)
        # One norm and one head for the three groups (applied per group == applied on their concatenation).
        outputs = self.head(self.norm(torch.cat([cls_latent, visible, masked], dim=1)))
        outputs = F.normalize(outputs.float(), dim=-1)  # float: the squared norm of fp16 outputs can overflow
        return outputs[:, :1], outputs[:, 1:1 + num_visible], outputs[:, 1 + num_visible:]
