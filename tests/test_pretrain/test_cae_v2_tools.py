"""tools/model_converters/clip2mmext.py: random OpenAI-layout and open_clip-layout CLIP image towers go through the
converter into CLIPTeacher and give the same tokens as the source model. caev2_official2mmext.py: a state dict with
the official CAE v2 key layout converts into CAEPretrainViT + CAEv2Neck with the official model's outputs."""
import pytest
import torch
import torch.nn.functional as F
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


def official_caev2_state_dict(width=32, depth=2, heads=2, reg_width=16, reg_depth=2, out=8, grid=4, patch=8):
    """A random state dict with the key layout of the official ContextAutoencoderViT(model_type='caev2')
    (Atten4Vis/CAE models/modeling_cae.py, modeling_cae_helper.py), written from its module structure."""
    gen = torch.Generator().manual_seed(0)

    def rand(*shape):
        return 0.2 * torch.randn(*shape, generator=gen)

    def norm(prefix, dim):
        return {f'{prefix}.weight': 1 + rand(dim), f'{prefix}.bias': rand(dim)}

    def linear(prefix, d_out, d_in, bias=True):
        return {f'{prefix}.weight': rand(d_out, d_in), **({f'{prefix}.bias': rand(d_out)} if bias else {})}

    def sincos(dim):  # the official build_2d_sincos_position_embedding(use_cls_token=True)
        w, h = torch.meshgrid(torch.arange(grid, dtype=torch.float32), torch.arange(grid, dtype=torch.float32),
                              indexing='ij')
        omega = 1. / 10000**(torch.arange(dim // 4, dtype=torch.float32) / (dim // 4))
        out_w, out_h = w.flatten()[:, None] * omega, h.flatten()[:, None] * omega
        table = torch.cat([out_w.sin(), out_w.cos(), out_h.sin(), out_h.cos()], dim=1)
        return torch.cat([torch.zeros(1, dim), table])[None]

    state = {'encoder.cls_token': rand(1, 1, width), 'encoder.pos_embed': sincos(width),
             **linear('encoder.patch_embed.proj', width, 3)}
    state['encoder.patch_embed.proj.weight'] = rand(width, 3, patch, patch)
    for i in range(depth):
        b = f'encoder.blocks.{i}'
        state.update({**norm(f'{b}.norm1', width), **norm(f'{b}.norm2', width),
                      f'{b}.attn.qkv.weight': rand(3 * width, width), f'{b}.attn.q_bias': rand(width),
                      f'{b}.attn.v_bias': rand(width), **linear(f'{b}.attn.proj', width, width),
                      **linear(f'{b}.mlp.fc1', 4 * width, width), **linear(f'{b}.mlp.fc2', width, 4 * width),
                      f'{b}.gamma_1': rand(width), f'{b}.gamma_2': rand(width)})
    state.update({**norm('encoder.norm', width), **linear('encoder_to_regresser', reg_width, width),
                  **norm('encoder_to_regresser_norm', reg_width), 'rd_pos_embed': sincos(reg_width),
                  'mask_token': rand(1, 1, reg_width), **norm('regresser.norm', reg_width),
                  **norm('decoder.norm', reg_width), **linear('decoder.head', out, reg_width)})
    for i in range(reg_depth):
        b = f'regresser.regressor_blocks.{i}'
        state.update({**norm(f'{b}.norm1_q', reg_width), **norm(f'{b}.norm1_k', reg_width),
                      **norm(f'{b}.norm1_v', reg_width), **norm(f'{b}.norm2_cross', reg_width),
                      **linear(f'{b}.cross_attn.q', reg_width, reg_width, bias=False),
                      **linear(f'{b}.cross_attn.k', reg_width, reg_width, bias=False),
                      **linear(f'{b}.cross_attn.v', reg_width, reg_width, bias=False),
                      f'{b}.cross_attn.q_bias': rand(reg_width), f'{b}.cross_attn.v_bias': rand(reg_width),
                      **linear(f'{b}.cross_attn.proj', reg_width, reg_width),
                      **linear(f'{b}.mlp_cross.fc1', 4 * reg_width, reg_width),
                      **linear(f'{b}.mlp_cross.fc2', reg_width, 4 * reg_width),
                      f'{b}.gamma_1_cross': rand(reg_width), f'{b}.gamma_2_cross': rand(reg_width)})
    return state


def official_forward(s, x, mask, heads=2, depth=2, reg_depth=2):
    """The official CAE v2 forward (encoder, projection, regressor, decoder head) computed from the official keys."""
    ln = lambda t, p: F.layer_norm(t, t.shape[-1:], s[f'{p}.weight'], s[f'{p}.bias'], eps=1e-6)  # noqa: E731
    lin = lambda t, p: F.linear(t, s[f'{p}.weight'], s.get(f'{p}.bias'))  # noqa: E731

    def attend(q, k, v, proj):
        b, n, c = q.shape
        q, k, v = (t.reshape(b, -1, heads, c // heads).transpose(1, 2) for t in (q, k, v))
        attn = (q * (c // heads)**-0.5 @ k.transpose(-2, -1)).softmax(-1)
        return lin((attn @ v).transpose(1, 2).reshape(b, n, c), proj)

    b = x.shape[0]
    tokens = F.conv2d(x, s['encoder.patch_embed.proj.weight'], s['encoder.patch_embed.proj.bias'], stride=8)
    tokens = tokens.flatten(2).transpose(1, 2)
    pos = s['encoder.pos_embed'].expand(b, -1, -1)
    dim = tokens.shape[-1]
    h = torch.cat([s['encoder.cls_token'].expand(b, -1, -1) + pos[:, :1],
                   tokens[~mask].reshape(b, -1, dim) + pos[:, 1:][~mask].reshape(b, -1, dim)], dim=1)
    for i in range(depth):
        p = f'encoder.blocks.{i}'
        y = ln(h, f'{p}.norm1')
        bias = torch.cat([s[f'{p}.attn.q_bias'], torch.zeros_like(s[f'{p}.attn.q_bias']), s[f'{p}.attn.v_bias']])
        q, k, v = F.linear(y, s[f'{p}.attn.qkv.weight'], bias).chunk(3, dim=-1)
        h = h + s[f'{p}.gamma_1'] * attend(q, k, v, f'{p}.attn.proj')
        h = h + s[f'{p}.gamma_2'] * lin(F.gelu(lin(ln(h, f'{p}.norm2'), f'{p}.mlp.fc1')), f'{p}.mlp.fc2')
    h = ln(lin(ln(h, 'encoder.norm'), 'encoder_to_regresser'), 'encoder_to_regresser_norm')
    cls, visible = h[:, :1], h[:, 1:]
    rd = s['rd_pos_embed'].expand(b, -1, -1)[:, 1:]
    width = rd.shape[-1]
    pos_m, pos_v = rd[mask].reshape(b, -1, width), rd[~mask].reshape(b, -1, width)
    q_m = s['mask_token'].expand(b, pos_m.shape[1], -1)
    for i in range(reg_depth):
        p = f'regresser.regressor_blocks.{i}'
        kv, pos_kv = torch.cat([visible, q_m], 1), torch.cat([pos_v, pos_m], 1)
        q = F.linear(ln(q_m + pos_m, f'{p}.norm1_q'), s[f'{p}.cross_attn.q.weight'], s[f'{p}.cross_attn.q_bias'])
        k = F.linear(ln(kv + pos_kv, f'{p}.norm1_k'), s[f'{p}.cross_attn.k.weight'])
        v = F.linear(ln(kv, f'{p}.norm1_v'), s[f'{p}.cross_attn.v.weight'], s[f'{p}.cross_attn.v_bias'])
        t = ln(q_m + s[f'{p}.gamma_1_cross'] * attend(q, k, v, f'{p}.cross_attn.proj'), f'{p}.norm2_cross')
        q_m = t + s[f'{p}.gamma_2_cross'] * lin(F.gelu(lin(t, f'{p}.mlp_cross.fc1')), f'{p}.mlp_cross.fc2')
    logits = lin(torch.cat([ln(cls, 'decoder.norm'), ln(visible, 'decoder.norm'), ln(q_m, 'decoder.norm')], 1),
                 'decoder.head')
    return logits / logits.norm(dim=-1, keepdim=True)


def test_official_caev2_checkpoint_converts_to_the_same_model(tmp_path, capsys):
    import argparse

    from mmpretrain.registry import MODELS

    from tools.model_converters.caev2_official2mmext import main as caev2_official2mmext
    official = official_caev2_state_dict()
    # As the official run_pretraining.py saves it (the argparse namespace included).
    torch.save({'model': official, 'epoch': 299, 'args': argparse.Namespace(model_type='caev2')}, tmp_path / 'o.pth')
    caev2_official2mmext([str(tmp_path / 'o.pth'), str(tmp_path / 'mmext.pth'), '--num-heads', '2'])
    assert "'regressor_depth': 2" in capsys.readouterr().out
    converted = torch.load(tmp_path / 'mmext.pth', weights_only=True)
    state, meta = converted['state_dict'], converted['meta']
    backbone = MODELS.build(dict(meta['backbone'], layer_scale_init_value=0.1, drop_path_rate=0.))
    neck = MODELS.build(dict(meta['neck'], drop_path_rate=0.))
    backbone.load_state_dict({k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')})
    neck.load_state_dict({k[len('neck.'):]: v for k, v in state.items() if k.startswith('neck.')})
    assert len(state) == len(official) - 3  # rd_pos_embed and the unused regresser.norm are dropped
    backbone.eval()
    neck.eval()

    x = torch.randn(2, 3, 32, 32)
    mask = torch.zeros(2, 16, dtype=torch.bool)
    mask[0, [1, 2, 5, 6, 9, 10]] = mask[1, [0, 4, 8, 12, 13, 15]] = True
    expected = official_forward(official, x, mask)
    with torch.no_grad():
        preds = torch.cat(neck(backbone(x, mask), mask), dim=1)
    torch.testing.assert_close(preds, expected, atol=1e-5, rtol=1e-4)


def test_official_converter_refuses_other_layouts(tmp_path):
    from tools.model_converters.caev2_official2mmext import convert_state_dict
    official = official_caev2_state_dict()
    with pytest.raises(ValueError, match='alignment_encoder.cls_token'):  # a CAE v1 checkpoint
        convert_state_dict({**official, 'alignment_encoder.cls_token': torch.zeros(1)})
    with pytest.raises(ValueError, match='fine-tuned'):
        convert_state_dict({'blocks.0.norm1.weight': torch.zeros(1), 'fc_norm.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='rd_pos_embed'):
        convert_state_dict({**official, 'rd_pos_embed': official['rd_pos_embed'] + 1})
