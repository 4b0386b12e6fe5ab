import pytest
import torch

from mmext.pretrain.models.utils import clip_visual_state_dict, infer_clip_visual_arch, read_clip_checkpoint
from mmext.pretrain.models.utils.clip_checkpoint import BLOCK_KEYS, TOP_KEYS


def tower(layers: int = 2, width: int = 64, grid: int = 4, patch: int = 8, out: int = 16) -> dict:
    shapes = {'conv1.weight': (width, 3, patch, patch), 'class_embedding': (width, ),
              'positional_embedding': (grid * grid + 1, width), 'proj': (width, out)}
    state = {k: torch.zeros(shapes.get(k, (width, ))) for k in TOP_KEYS}
    state.update({f'transformer.resblocks.{i}.{k}': torch.zeros(1) for i in range(layers) for k in BLOCK_KEYS})
    return state


def test_accepts_every_container_and_infers_the_arch():
    alone = tower()
    prefixed = {f'visual.{k}': v for k, v in alone.items()}
    text = {'token_embedding.weight': torch.zeros(1), 'ln_final.weight': torch.zeros(1)}
    containers = [
        alone,
        dict(prefixed, **text),  # OpenAI CLIP
        {'epoch': 3, 'state_dict': {f'module.{k}': v for k, v in dict(prefixed, **text).items()}},  # open_clip run
        {'state_dict': prefixed, 'meta': {}},  # clip2mmext output
    ]
    for checkpoint in containers:
        visual = clip_visual_state_dict(checkpoint)
        assert set(visual) == set(prefixed)
        assert infer_clip_visual_arch(visual) == dict(input_resolution=32, patch_size=8, width=64, layers=2, heads=1,
                                                      output_dim=16)
    assert infer_clip_visual_arch(clip_visual_state_dict(alone), head_width=32)['heads'] == 2


def test_refuses_layouts_it_cannot_load():
    with_layer_scale = dict(tower(), **{'transformer.resblocks.0.ls_1.gamma': torch.zeros(1)})
    with pytest.raises(ValueError, match="unexpected.*ls_1"):
        clip_visual_state_dict(with_layer_scale)
    resnet = {'visual.layer1.0.conv1.weight': torch.zeros(1), 'visual.attnpool.c_proj.weight': torch.zeros(1)}
    with pytest.raises(ValueError, match='missing'):
        clip_visual_state_dict(resnet)
    with pytest.raises(ValueError, match='no CLIP image tower'):
        clip_visual_state_dict({'backbone.cls_token': torch.zeros(1)})
    with pytest.raises(ValueError, match='head_width'):
        infer_clip_visual_arch(clip_visual_state_dict(tower(width=48)))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.pt'):
        read_clip_checkpoint(str(tmp_path / 'nothing.pt'))
