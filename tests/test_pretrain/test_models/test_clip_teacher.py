import pytest
import torch
from mmpretrain.models.utils.clip_generator_helper import CLIP
from mmpretrain.registry import MODELS

from mmext.pretrain.models.target_generators import CLIPTeacher

ARCH = dict(input_resolution=32, patch_size=8, width=128, layers=2, heads=2, output_dim=16)


def openai_clip(seed: int = 0) -> CLIP:
    """A random OpenAI-layout CLIP (image and text towers) with the teacher's ARCH (heads = width // 64)."""
    torch.manual_seed(seed)
    return CLIP(embed_dim=16, image_resolution=32, vision_layers=2, vision_width=128, vision_patch_size=8,
                context_length=8, vocab_size=50, transformer_width=64, transformer_heads=1,
                transformer_layers=1).eval()


def test_tokens_are_ln_post_then_proj_of_every_token():
    teacher = MODELS.build(dict(type='CLIPTeacher', arch=ARCH))
    captured = {}
    teacher.visual.transformer.register_forward_hook(lambda m, i, out: captured.update(last=out[0]))
    x = torch.randn(2, 3, 32, 32)
    tokens, attention = teacher(x)
    last = captured['last'].permute(1, 0, 2)  # LND -> NLD, the last layer's output
    expected = teacher.visual.ln_post(last) @ teacher.visual.proj
    torch.testing.assert_close(tokens, expected)
    assert tokens.shape == (2, 17, 16) and attention.shape == (2, 17, 17)
    # Token 0 is CLIP's image embedding: ln_post(cls) @ proj.
    torch.testing.assert_close(tokens[:, 0], teacher.visual.ln_post(last[:, 0]) @ teacher.visual.proj)


def test_frozen_and_always_in_eval_mode():
    teacher = CLIPTeacher(arch=ARCH)
    assert not any(p.requires_grad for p in teacher.parameters())
    assert not teacher.training
    teacher.train()
    assert not teacher.training and not any(m.training for m in teacher.modules())
    x = torch.randn(1, 3, 32, 32, requires_grad=True)
    tokens, _ = teacher(x)
    assert not tokens.requires_grad


def test_checkpoint_round_trip_and_strict_arch(tmp_path):
    clip = openai_clip()
    path = tmp_path / 'clip.pth'
    torch.save(clip.state_dict(), path)  # the full model, text tower included, as OpenAI state dicts are
    teacher = CLIPTeacher(arch=ARCH, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    teacher.init_weights()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(teacher(x)[0], clip.visual(x)[0])
    wrong = CLIPTeacher(arch=dict(ARCH, output_dim=8), init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(ValueError, match="'output_dim': 16"):
        wrong.init_weights()


def test_missing_checkpoint_names_the_file(tmp_path):
    missing = tmp_path / 'ViT-B-16.pt'
    teacher = CLIPTeacher(arch=ARCH, init_cfg=dict(type='Pretrained', checkpoint=str(missing)))
    teacher.init_weights()
    with pytest.raises(FileNotFoundError, match=str(missing)):
        teacher(torch.randn(1, 3, 32, 32))


def test_url_is_read_from_the_hub_cache_and_never_downloaded(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    url = 'https://example.invalid/clip/ViT-X.pt'
    teacher = CLIPTeacher(arch=ARCH, init_cfg=dict(type='Pretrained', checkpoint=url))
    cached = tmp_path / 'checkpoints' / 'ViT-X.pt'
    teacher.init_weights()
    with pytest.raises(FileNotFoundError, match=f'wget {url} -O {cached}'):
        teacher(torch.randn(1, 3, 32, 32))
    cached.parent.mkdir()
    torch.save(openai_clip().state_dict(), cached)
    teacher.init_weights()
    torch.testing.assert_close(teacher.visual.proj, openai_clip().visual.proj)


def test_activation_input_size_and_arch_checks():
    gelu = CLIPTeacher(arch=ARCH, quick_gelu=False)
    assert all(isinstance(b.mlp.gelu, torch.nn.GELU) for b in gelu.visual.transformer.resblocks)
    with pytest.raises(ValueError, match='32 x 32'):
        gelu(torch.randn(1, 3, 64, 64))
    with pytest.raises(ValueError, match='ViT-B/16'):
        CLIPTeacher(arch='ViT-H/14')
    with pytest.raises(ValueError, match='exactly the keys'):
        CLIPTeacher(arch=dict(width=64))
    assert CLIPTeacher(arch=dict(ARCH, layers=1)).visual.transformer.layers == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_fp16_on_gpu_close_to_fp32():
    teacher = CLIPTeacher(arch=ARCH).cuda()
    x = torch.randn(2, 3, 32, 32, device='cuda')
    with torch.autocast('cuda', dtype=torch.bfloat16):  # the student's AMP does not reach the teacher
        half = teacher(x)[0]
    teacher.half_on_gpu = False
    full = teacher(x)[0]
    assert half.dtype == full.dtype == torch.float32
    torch.testing.assert_close(half, full, atol=2e-2, rtol=2e-2)


def converted(path, quick_gelu: bool, arch: dict = ARCH):
    """A file as tools/model_converters/clip2mmext.py writes it, with its recorded arch and activation."""
    visual = {k: v for k, v in openai_clip().state_dict().items() if k.startswith('visual.')}
    torch.save(dict(state_dict=visual, meta=dict(clip_arch=arch, quick_gelu=quick_gelu, source='x.pt')), path)
    return str(path)


@pytest.mark.parametrize('recorded', [True, False])
def test_recorded_activation_must_match(tmp_path, recorded):
    path = converted(tmp_path / 'clip.pth', quick_gelu=recorded)
    teacher = CLIPTeacher(arch=ARCH, quick_gelu=not recorded, init_cfg=dict(type='Pretrained', checkpoint=path))
    message = f'converted for quick_gelu={recorded}.*set the teacher.s quick_gelu={recorded}'
    with pytest.raises(ValueError, match=message):
        teacher.init_weights()
    teacher = CLIPTeacher(arch=ARCH, quick_gelu=recorded, init_cfg=dict(type='Pretrained', checkpoint=path))
    teacher.init_weights()
    torch.testing.assert_close(teacher.visual.proj, openai_clip().visual.proj)


def test_recorded_arch_must_match(tmp_path):
    # Same weights, but converted for 4 heads of 32 channels: the weights alone cannot tell.
    path = converted(tmp_path / 'clip.pth', quick_gelu=True, arch=dict(ARCH, heads=4))
    teacher = CLIPTeacher(arch=ARCH, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(ValueError, match="converted for arch .*'heads': 4"):
        teacher.init_weights()


def test_missing_file_is_fine_when_a_checkpoint_supplies_the_teacher(tmp_path):
    missing = tmp_path / 'ViT-B-16.pt'
    source = CLIPTeacher(arch=ARCH)
    teacher = CLIPTeacher(arch=ARCH, init_cfg=dict(type='Pretrained', checkpoint=str(missing)))
    teacher.init_weights()  # the Runner initialises before it resumes: no error yet
    x = torch.randn(1, 3, 32, 32)
    partial = {k: v for k, v in source.state_dict().items() if k != 'visual.proj'}
    teacher.load_state_dict(partial, strict=False)
    with pytest.raises(FileNotFoundError, match=str(missing)):
        teacher(x)
    wrapped = torch.nn.ModuleDict(dict(target_generator=teacher))  # as inside the model, keys prefixed
    wrapped.load_state_dict({f'target_generator.{k}': v for k, v in source.state_dict().items()})
    torch.testing.assert_close(teacher(x)[0], source(x)[0])


def test_safetensors_checkpoint(tmp_path):
    safetensors = pytest.importorskip('safetensors.torch')
    clip = openai_clip()
    path = tmp_path / 'open_clip_model.safetensors'  # open_clip's hub file name; same keys as OpenAI's
    safetensors.save_file({k: v.contiguous() for k, v in clip.state_dict().items()}, str(path))
    teacher = CLIPTeacher(arch=ARCH, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    teacher.init_weights()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(teacher(x)[0], clip.visual(x)[0])
