import torch

from mmext.registry import MODELS


def test_concat_fusion_with_masks():
    fusion = MODELS.build(dict(type='ConcatFusion', in_dims=[3, 2]))
    a, b = torch.ones(2, 3), torch.full((2, 2), 2.0)
    out = fusion([a, b], [torch.tensor([1.0, 0.0]), None])
    assert fusion.out_dim == 5
    torch.testing.assert_close(out, torch.tensor([[1., 1, 1, 2, 2], [0, 0, 0, 2, 2]]))


def test_late_fusion_decisions_in_range_and_masked():
    fusion = MODELS.build(dict(type='LateFusion', in_dims=[4, 4, 4], targets=('arousal', 'valence')))
    feats = [torch.randn(6, 4) * 10 for _ in range(3)]
    out = fusion(feats, [None, torch.zeros(6), None])
    assert out.shape == (6, 6) and fusion.out_dim == 6
    arousal, valence = out[:, 0::2], out[:, 1::2]
    assert ((arousal >= 0) & (arousal <= 1)).all() and ((valence >= -1) & (valence <= 1)).all()
    assert (out[:, 2:4] == 0).all()  # the masked modality
