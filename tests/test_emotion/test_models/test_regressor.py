"""The regressor end to end: shapes of every stage, masking of a missing face, unimodal and late-fusion variants."""
import pytest
import torch

from mmext.emotion.structures import EmotionDataSample
from mmext.registry import MODELS

DIMS = dict(visual=(20, 24), audio=(40, ), text=(10, ))


def build(encoders=('visual', 'audio', 'text'), **kwargs):
    cfg = dict(
        visual=dict(type='SeqLSTMEncoder', in_dim=24),
        audio=dict(type='MLPEncoder', in_dim=40),
        text=dict(type='MLPEncoder', in_dim=10))
    return MODELS.build(dict(type='MultiModalAffectRegressor', encoders={k: cfg[k] for k in encoders}, **kwargs))


def batch(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = {k: [torch.randn(*shape, generator=g) for _ in range(n)] for k, shape in DIMS.items()}
    inputs['visual_mask'] = [torch.tensor(1.0) for _ in range(n)]
    data_samples = []
    for i in range(n):
        s = EmotionDataSample(metainfo=dict(video='v', utterance=f'utterance_{i}.mp4', order_idx=i))
        s.gt_arousal, s.gt_valence = torch.tensor(0.1 * i), torch.tensor(-0.1 * i)
        data_samples.append(s)
    return dict(inputs=inputs, data_samples=data_samples)


def test_paper_shapes_and_modes():
    model = build()
    assert model.fusion.out_dim == 768 and model.head.hidden[0].in_features == 768
    data = model.data_preprocessor(batch(), training=True)
    assert data['inputs']['visual'].shape == (4, 20, 24)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_arousal'} and torch.isfinite(losses['loss_arousal'])
    model.eval()
    preds = model(**data, mode='predict')
    assert all(0 < p.pred_arousal < 1 for p in preds)
    assert model(**data, mode='tensor').shape == (4, 1)
    with pytest.raises(ValueError, match='mode'):
        model(**data, mode='features')


def test_output_does_not_depend_on_visual_values_when_masked():
    model = build().eval()
    data = model.data_preprocessor(batch())
    data['inputs']['visual_mask'][:] = 0
    before = model(data['inputs'], mode='tensor')
    data['inputs']['visual'] = torch.randn_like(data['inputs']['visual']) * 100
    torch.testing.assert_close(model(data['inputs'], mode='tensor'), before)


@pytest.mark.parametrize('modality', ['visual', 'audio', 'text'])
def test_unimodal(modality):
    model = build(encoders=(modality, ))
    data = model.data_preprocessor(batch(), training=True)
    assert model.fusion.out_dim == 256
    assert torch.isfinite(model(**data, mode='loss')['loss_arousal'])


def test_late_fusion_valence():
    model = build(fusion=dict(type='LateFusion', targets=('valence', )),
                  head=dict(type='AffectRegressionHead', hidden_dim=None, targets=('valence', ),
                            activations=('identity', )))
    assert model.fusion.out_dim == 3
    data = model.data_preprocessor(batch(), training=True)
    assert set(model(**data, mode='loss')) == {'loss_valence'}


def test_missing_modality_input_is_named():
    model = build()
    data = model.data_preprocessor(batch())
    del data['inputs']['text']
    with pytest.raises(KeyError, match='text'):
        model(data['inputs'], mode='tensor')
    with pytest.raises(ValueError, match='at least one modality'):
        MODELS.build(dict(type='MultiModalAffectRegressor', encoders={}))


@pytest.mark.parametrize('fusion', ['ConcatFusion', 'LateFusion'])
def test_output_does_not_depend_on_audio_values_when_masked(fusion):
    model = build(fusion=dict(type=fusion)).eval()
    data = model.data_preprocessor(batch())
    data['inputs']['audio_mask'] = torch.tensor([0.0, 1.0, 0.0, 1.0])
    before = model(data['inputs'], mode='tensor')
    data['inputs']['audio'] = torch.randn_like(data['inputs']['audio']) * 100
    after = model(data['inputs'], mode='tensor')
    torch.testing.assert_close(after[[0, 2]], before[[0, 2]])
    assert not torch.allclose(after[[1, 3]], before[[1, 3]])


def test_features_wider_than_in_dim_name_the_setting():
    """openSMILE IS10 caches (1582 values) under a config built for the numpy functionals."""
    model = build()
    data = model.data_preprocessor(batch())
    data['inputs']['audio'] = torch.zeros(4, 1582)
    with pytest.raises(ValueError, match=r'model.encoders.audio.in_dim is 40 but the audio features have 1582 '
                       r'dimensions.*model.encoders.audio.in_dim=1582'):
        model(data['inputs'], mode='tensor')


def test_training_batch_of_one_is_a_clear_error():
    model = build()
    data = model.data_preprocessor(batch(n=1), training=True)
    with pytest.raises(ValueError, match='a training batch holds 1 utterance.*drop_last=True'):
        model(**data, mode='loss')
    model.eval()
    assert len(model(**data, mode='predict')) == 1  # inference on one utterance is fine
