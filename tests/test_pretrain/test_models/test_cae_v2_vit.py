"""CAEv2ViT loads a CAE v2 pre-training checkpoint as the official fine-tuning does: final norm into the norm after
mean pooling (fc_norm), fixed sin-cos position table."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.models.utils import build_2d_sincos_position_embedding
from mmpretrain.registry import MODELS

from mmext.pretrain.models.backbones.cae_v2_vit import final_norm_as_pooled_norm

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
FINETUNE = osp.join(REPO_ROOT, 'configs', 'cae_v2', 'benchmarks', 'beit-base-p16_8xb128-coslr-100e_in1k.py')
ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def test_final_norm_as_pooled_norm():
    ln1_w, ln1_b, layer = torch.randn(4), torch.randn(4), torch.randn(4)
    state = {'backbone.ln1.weight': ln1_w, 'backbone.ln1.bias': ln1_b, 'backbone.layers.0.ln1.weight': layer}
    assert final_norm_as_pooled_norm(state, 'backbone.')
    assert state == {'backbone.ln2.weight': ln1_w, 'backbone.ln2.bias': ln1_b, 'backbone.layers.0.ln1.weight': layer}
    # A checkpoint with its own pooled norm (a fine-tuned one) or without a final norm is left alone.
    tuned = {'ln1.weight': ln1_w, 'ln2.weight': layer}
    assert not final_norm_as_pooled_norm(tuned) and set(tuned) == {'ln1.weight', 'ln2.weight'}
    assert not final_norm_as_pooled_norm({'layers.0.ln1.weight': layer})


def pretrained_checkpoint(path) -> torch.nn.Module:
    """A CAE v2 pre-training encoder whose final norm is not at its initial (1, 0), saved as the Runner does."""
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='CAEPretrainViT', arch=ARCH, img_size=32, patch_size=16,
                                layer_scale_init_value=0.1))
    encoder.init_weights()
    with torch.no_grad():
        encoder.ln1.weight.uniform_(0.5, 1.5)
        encoder.ln1.bias.normal_()
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in encoder.state_dict().items()}}, path)
    return encoder


def finetune_model(checkpoint: str) -> torch.nn.Module:
    """The fine-tuning config's classifier with a small encoder."""
    cfg = Config.fromfile(FINETUNE).model
    cfg.backbone.update(arch=ARCH, img_size=32, drop_path_rate=0.)
    cfg.backbone.init_cfg.checkpoint = checkpoint
    cfg.head.update(in_channels=32, num_classes=3)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_finetune_config_loads_the_final_norm_into_the_pooled_norm(tmp_path):
    encoder = pretrained_checkpoint(tmp_path / 'pt.pth')
    backbone = finetune_model(str(tmp_path / 'pt.pth')).backbone
    assert backbone.out_type == 'avg_featmap' and not backbone.final_norm
    torch.testing.assert_close(backbone.ln2.weight, encoder.ln1.weight)
    torch.testing.assert_close(backbone.ln2.bias, encoder.ln1.bias)
    # Pooled features = the pre-trained final norm of the mean patch token (relative bias tables at zero, as the
    # official initialisation leaves them, so both encoders compute the same layers).
    with torch.no_grad():
        for layer in backbone.layers:
            layer.attn.relative_position_bias_table.zero_()
    backbone.eval()
    encoder.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        tokens = encoder.layers[-1](encoder.layers[0](torch.cat(
            [encoder.cls_token.expand(2, -1, -1), encoder.patch_embed(x)[0]], dim=1) + encoder.pos_embed, None), None)
        expected = encoder.ln1(tokens[:, 1:].mean(dim=1))
        torch.testing.assert_close(backbone(x)[0], expected)


def test_fixed_position_table(tmp_path):
    encoder = pretrained_checkpoint(tmp_path / 'pt.pth')
    model = finetune_model(str(tmp_path / 'pt.pth'))
    backbone = model.backbone
    assert not backbone.pos_embed.requires_grad
    torch.testing.assert_close(backbone.pos_embed, encoder.pos_embed)
    optim_wrapper = build_optim_wrapper(model, Config.fromfile(FINETUNE).optim_wrapper)
    optimized = {id(p) for group in optim_wrapper.optimizer.param_groups for p in group['params']}
    assert id(backbone.pos_embed) not in optimized and id(backbone.cls_token) in optimized
    # Without a checkpoint the fixed table is the sin-cos table of the grid, CLS slot zero (official backbones).
    scratch = MODELS.build(dict(type='CAEv2ViT', arch=ARCH, img_size=48, patch_size=16,
                                   use_abs_pos_emb=True))
    scratch.init_weights()
    torch.testing.assert_close(scratch.pos_embed, build_2d_sincos_position_embedding(3, 32, cls_token=True))
    trained = MODELS.build(dict(type='CAEv2ViT', arch=ARCH, img_size=48, patch_size=16,
                                   use_abs_pos_emb=True, fixed_pos_embed=False))
    assert trained.pos_embed.requires_grad
