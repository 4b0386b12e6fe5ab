"""The CAE v2 toy config trains on the embedded data, and what it learns loads into the probe / fine-tuning encoder
(every config's build and forward is in tests/test_configs/test_all_configs.py)."""
import glob
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'cae_v2')
TOY = osp.join(CONFIG_DIR, 'caev2_vit-tiny-p4_1xb64-50e_synthetic-shapes-32px.py')
PROBE = osp.join(CONFIG_DIR, 'benchmarks', 'beit-tiny-p4_1xb100-linear-30e_synthetic-shapes-32px.py')
ADE20K = osp.join(CONFIG_DIR, 'caev2-base_upernet_8xb2-amp-160k_ade20k-512x512.py')


def test_configs_found():
    configs = glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    assert len(configs) == 19 and TOY in configs and PROBE in configs


def toy_cfg(tmp_path, work_dir: str = 'work', max_epochs: int = 1) -> Config:
    cfg = Config.fromfile(TOY)
    cfg.work_dir = str(tmp_path / work_dir)
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False, batch_size=20)
    cfg.train_dataloader.dataset.update(data_root=str(tmp_path / 'data'), num_samples=40)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, end=1, convert_to_iter_based=True)]
    cfg.default_hooks.logger.interval = 1
    return cfg


def test_toy_config_trains_one_epoch(tmp_path):
    from mmengine.runner import Runner
    runner = Runner.from_cfg(toy_cfg(tmp_path))
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert 0 < scalars['train/loss'].current() < 2
    assert {'train/cls_dist', 'train/visible_dist', 'train/masked_dist'} <= set(scalars)


def test_resume_and_load_from_need_no_clip_file(tmp_path):
    """The Runner initialises weights (the teacher's CLIP file) before it resumes or loads a checkpoint; the CAE v2
    checkpoint holds the teacher, so the file is not needed then."""
    from mmengine.runner import Runner
    clip_file = tmp_path / 'clip.pth'
    teacher_cfg = Config.fromfile(TOY).model.target_generator
    torch.save(MODELS.build(teacher_cfg).state_dict(), clip_file)
    first = toy_cfg(tmp_path, 'first')
    first.model.target_generator.init_cfg = dict(type='Pretrained', checkpoint=str(clip_file))
    runner = Runner.from_cfg(first)
    runner.train()
    teacher = {k: v.clone() for k, v in runner.model.target_generator.state_dict().items()}
    checkpoint = tmp_path / 'first' / 'epoch_1.pth'
    clip_file.unlink()

    resumed = toy_cfg(tmp_path, 'first', max_epochs=2)
    resumed.model.target_generator.init_cfg = first.model.target_generator.init_cfg
    resumed.resume = True
    runner = Runner.from_cfg(resumed)
    runner.train()
    assert runner.epoch == 2
    for key, value in runner.model.target_generator.state_dict().items():
        torch.testing.assert_close(value, teacher[key])

    loaded = toy_cfg(tmp_path, 'loaded')
    loaded.model.target_generator.init_cfg = first.model.target_generator.init_cfg
    loaded.load_from = str(checkpoint)
    runner = Runner.from_cfg(loaded)
    runner.train()
    torch.testing.assert_close(runner.model.target_generator.visual.proj, teacher['visual.proj'])

    fresh = toy_cfg(tmp_path, 'fresh')
    fresh.model.target_generator.init_cfg = first.model.target_generator.init_cfg
    with pytest.raises(FileNotFoundError, match=str(clip_file)):
        Runner.from_cfg(fresh).train()


def test_pretrained_encoder_loads_into_the_probe_encoder(tmp_path):
    torch.manual_seed(0)
    pretrain = MODELS.build(Config.fromfile(TOY).model)
    pretrain.init_weights()
    with torch.no_grad():  # move every weight away from its initial value
        for param in pretrain.backbone.parameters():
            param.add_(0.01 * torch.randn_like(param))
    torch.save({'state_dict': pretrain.state_dict()}, tmp_path / 'encoder.pth')
    probe_cfg = Config.fromfile(PROBE).model
    probe_cfg.backbone.init_cfg.checkpoint = str(tmp_path / 'encoder.pth')
    probe = MODELS.build(probe_cfg)
    probe.init_weights()
    pretrain.eval()
    probe.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        cls_pretrain = pretrain.backbone(x, mask=None)[0][:, 0]
        cls_probe = probe.backbone(x)[0]
    torch.testing.assert_close(cls_probe, cls_pretrain)


def permute_patches(x: torch.Tensor, order: torch.Tensor, patch: int) -> torch.Tensor:
    """Move the patch at raster position order[i] to position i ([B, C, H, W] -> same shape)."""
    b, c, h, w = x.shape
    gh, gw = h // patch, w // patch
    blocks = x.reshape(b, c, gh, patch, gw, patch).permute(0, 2, 4, 1, 3, 5).reshape(b, gh * gw, c, patch, patch)
    blocks = blocks[:, order].reshape(b, gh, gw, c, patch, patch)
    return blocks.permute(0, 3, 1, 4, 2, 5).reshape(b, c, h, w)


def test_ade20k_backbone_takes_the_pretrained_positions(tmp_path):
    """The segmentation encoder gets the pre-trained sin-cos table, resized bicubically to its grid (official
    CAE segmentation loader), so its features are not merely permuted when the patches are."""
    arch = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='CAEPretrainViT', arch=arch, img_size=48, patch_size=16,
                                 layer_scale_init_value=0.1))  # 3 x 3 grid
    encoder.init_weights()
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in encoder.state_dict().items()}}, tmp_path / 'pt.pth')
    cfg = Config.fromfile(ADE20K).model.backbone
    assert cfg.patch_size == 16 and cfg.init_cfg.prefix == 'backbone.'
    cfg.update(arch=arch, img_size=64, out_indices=[1], drop_path_rate=0.)  # 4 x 4 grid
    cfg.init_cfg.checkpoint = str(tmp_path / 'pt.pth')
    backbone = MODELS.build(cfg)
    backbone.init_weights()
    backbone.eval()

    table = encoder.pos_embed[:, 1:].reshape(1, 3, 3, 32).permute(0, 3, 1, 2)
    resized = F.interpolate(table, size=(4, 4), mode='bicubic', align_corners=False).flatten(2).transpose(1, 2)
    assert backbone.pos_embed is not None and not backbone.pos_embed.requires_grad  # fixed, as the official one
    torch.testing.assert_close(backbone.pos_embed[:, 1:], resized)
    torch.testing.assert_close(backbone.pos_embed[:, :1], encoder.pos_embed[:, :1])

    # The relative position bias tables are not in the checkpoint and start near zero (mmpretrain: normal, std
    # 0.02; official: zero); zero them, as the official code does, to see what the absolute table alone gives.
    with torch.no_grad():
        for layer in backbone.layers:
            layer.attn.relative_position_bias_table.zero_()
    order = torch.randperm(16, generator=torch.Generator().manual_seed(0))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = backbone(x)[0].flatten(2)  # [1, 32, 16]
        feats_permuted = backbone(permute_patches(x, order, 16))[0].flatten(2)
        assert (feats_permuted - feats[..., order]).abs().max() > 1e-2
        # The check above can fail: without the table the encoder is permutation-equivariant.
        backbone.pos_embed.zero_()
        feats = backbone(x)[0].flatten(2)
        feats_permuted = backbone(permute_patches(x, order, 16))[0].flatten(2)
    torch.testing.assert_close(feats_permuted, feats[..., order], atol=1e-5, rtol=1e-5)
