import pytest
import torch

from mmext.registry import MODELS


def test_seq_lstm_encoder_shapes_and_pooling():
    enc = MODELS.build(dict(type='SeqLSTMEncoder', in_dim=12, pool=2, hidden=8, out_dim=16))
    out = enc(torch.randn(4, 20, 12))
    assert out.shape == (4, 16) and torch.isfinite(out).all()
    out.sum().backward()
    assert enc.lstm.weight_ih_l0.grad is not None
    with pytest.raises(ValueError, match=r'\(B, T, D\)'):
        enc(torch.randn(4, 12))
    with pytest.raises(ValueError, match='pool'):
        MODELS.build(dict(type='SeqLSTMEncoder', in_dim=12, pool=0))


def test_pooling_is_temporal_average():
    """With pool=2 the LSTM sees the means of consecutive frame pairs: duplicating each frame changes nothing."""
    enc = MODELS.build(dict(type='SeqLSTMEncoder', in_dim=6, pool=2, hidden=5, out_dim=7)).eval()
    frames = torch.randn(3, 10, 6)
    doubled = frames.repeat_interleave(2, dim=1)
    no_pool = MODELS.build(dict(type='SeqLSTMEncoder', in_dim=6, pool=1, hidden=5, out_dim=7)).eval()
    no_pool.load_state_dict(enc.state_dict())
    torch.testing.assert_close(enc(doubled), no_pool(frames))


def test_keras_initialisation():
    enc = MODELS.build(dict(type='SeqLSTMEncoder', in_dim=6, hidden=5))
    hidden = 5
    assert torch.all(enc.lstm.bias_ih_l0[hidden:2 * hidden] == 1)  # forget gate
    assert torch.all(enc.lstm.bias_hh_l0 == 0)
    w = enc.lstm.weight_hh_l0.detach()
    torch.testing.assert_close(w.T @ w, torch.eye(hidden), atol=1e-5, rtol=0)  # orthogonal columns
    assert enc.input_bn.momentum == 0.01 and enc.input_bn.eps == 1e-3


def test_mlp_encoder():
    enc = MODELS.build(dict(type='MLPEncoder', in_dim=30, out_dim=256))
    assert enc(torch.randn(5, 30)).shape == (5, 256)
    assert enc.out_dim == 256
    with pytest.raises(ValueError, match=r'\(B, D\)'):
        enc(torch.randn(5, 2, 30))
