"""tools/model_converters/clip2mmext.py: random OpenAI-layout and open_clip-layout CLIP image towers go through the
converter into CLIPTeacher and give the same tokens as the source model."""
import pytest
import torch
from mmpretrain.models.utils.clip_generator_helper import CLIP

from mmext.pretrain.models.target_generators import CLIPTeacher
from tools.model_converters.clip2mmext import main as clip2mmext


def convert_and_load(src, dst, *options) -> CLIPTeacher:
    clip2mmext([str(src), str(dst), *options])
    meta = torch.load(dst, weights_only=True)['meta']
    teacher = CLIPTeacher(arch=meta['clip_arch'], quick_gelu=meta['quick_gelu'],
                          init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    teacher.init_weights()
    return teacher


@pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning', 'ignore:`torch.jit.trace:FutureWarning')
def test_openai_state_dict_and_torchscript_round_trip(tmp_path, capsys):
    torch.manual_seed(0)
    clip = CLIP(embed_dim=16, image_resolution=32, vision_layers=2, vision_width=128, vision_patch_size=8,
                context_length=8, vocab_size=50, transformer_width=64, transformer_heads=1,
                transformer_layers=1).eval()
    x = torch.randn(2, 3, 32, 32)
    reference = clip.visual(x)[0]  # ln_post(tokens) @ proj, [2, 17, 16]

    torch.save({k: v.half() for k, v in clip.state_dict().items()}, tmp_path / 'openai.pt')  # OpenAI ships fp16
    teacher = convert_and_load(tmp_path / 'openai.pt', tmp_path / 'converted.pth', '--fp32')
    printed = capsys.readouterr().out
    assert all(f"'{k}': {v}" in printed for k, v in dict(width=128, layers=2, heads=2, output_dim=16).items())
    torch.testing.assert_close(teacher(x)[0], reference, atol=2e-2, rtol=2e-2)  # fp16 weights, fp32 compute

    class Visual(torch.nn.Module):  # OpenAI's releases are TorchScript archives with `visual.*` parameters
        def __init__(self):
            super().__init__()
            self.visual = clip.visual

        def forward(self, image):
            return self.visual(image)[0]

    torch.jit.trace(Visual(), x).save(str(tmp_path / 'ViT-tiny.pt'))
    teacher = convert_and_load(tmp_path / 'ViT-tiny.pt', tmp_path / 'from_jit.pth')
    torch.testing.assert_close(teacher(x)[0], reference)


def test_open_clip_round_trip(tmp_path):
    from open_clip.model import CLIP as OpenCLIP
    from open_clip.model import CLIPTextCfg, CLIPVisionCfg
    torch.manual_seed(0)
    model = OpenCLIP(embed_dim=16, vision_cfg=CLIPVisionCfg(layers=2, width=64, head_width=32, patch_size=8,
                                                            image_size=32),
                     text_cfg=CLIPTextCfg(context_length=8, vocab_size=50, width=32, heads=1, layers=1),
                     quick_gelu=False).eval()
    # An open_clip training checkpoint: wrapped, DDP-prefixed.
    torch.save({'epoch': 1, 'state_dict': {f'module.{k}': v for k, v in model.state_dict().items()}},
               tmp_path / 'epoch_1.pt')
    teacher = convert_and_load(tmp_path / 'epoch_1.pt', tmp_path / 'converted.pth', '--head-width', '32', '--gelu')
    assert teacher.arch['heads'] == 2
    model.visual.output_tokens = True
    x = torch.randn(2, 3, 32, 32)
    pooled, tokens = model.visual(x)  # open_clip: pooled = ln_post(cls) @ proj, tokens = ln_post(patches)
    expected = torch.cat([pooled[:, None], tokens @ model.visual.proj], dim=1)
    torch.testing.assert_close(teacher(x)[0], expected)
