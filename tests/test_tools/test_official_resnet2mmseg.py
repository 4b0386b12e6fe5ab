"""tools/model_converters/official_resnet2mmseg.py on a ResNet-50 with the official AugSeg / iMAS key layout
(torchvision's names, deep stem 3-64-64-128 in ``conv1`` + ``bn1``): the converted weights load into mmseg's
``ResNetV1c(stem_channels=128)`` through ``init_cfg=Pretrained`` and give the official network's features."""
import pytest
import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import mmext.seg  # noqa: F401
from tools.model_converters.official_resnet2mmseg import convert_official_resnet, main, unwrap

tv_resnet = pytest.importorskip('torchvision.models.resnet')


class OfficialLayoutResNet(tv_resnet.ResNet):
    """torchvision's ResNet-50 with the official deep stem: 3x3 convs 3 -> 64 -> 64 -> 128 as ``conv1.{0,3,6}`` with
    norms ``conv1.{1,4}`` and ``bn1``, ceil-mode max-pool, layer1 fed 128 channels."""

    def __init__(self, **kwargs):
        super().__init__(tv_resnet.Bottleneck, [3, 4, 6, 3], **kwargs)
        self.conv1 = nn.Sequential(
            tv_resnet.conv3x3(3, 64, 2), nn.BatchNorm2d(64), nn.ReLU(), tv_resnet.conv3x3(64, 64), nn.BatchNorm2d(64),
            nn.ReLU(), tv_resnet.conv3x3(64, 128))
        self.bn1 = nn.BatchNorm2d(128)
        self.maxpool = nn.MaxPool2d(3, 2, 1, ceil_mode=True)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        if planes == 64:
            self.inplanes = 128  # the deep stem's width
        return super()._make_layer(block, planes, blocks, stride, dilate)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
            outs.append(x)
        return outs


def randomised(net):
    torch.manual_seed(0)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.weight, 0.5, 1.0)
            nn.init.normal_(module.bias, std=0.1)
            nn.init.normal_(module.running_mean, std=0.1)
            nn.init.uniform_(module.running_var, 0.5, 1.5)
    return net.eval()


def mmseg_resnet(**kwargs):
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(dict(type='ResNetV1c', depth=50, stem_channels=128, norm_cfg=dict(type='BN'), **kwargs))


@pytest.mark.parametrize('output_stride', [32, 16])
def test_converted_weights_give_the_official_features(tmp_path, output_stride):
    """Output stride 16 as the official SupOnly runs (layer 4 dilated, multi_grid False): torchvision's first block
    keeps dilation 1, which is mmseg's contract_dilation=True."""
    official = randomised(OfficialLayoutResNet(replace_stride_with_dilation=[False, False, output_stride == 16]))
    src, dst = tmp_path / 'resnet50.pth', tmp_path / 'converted.pth'
    torch.save({f'module.{k}': v for k, v in official.state_dict().items()}, src)  # DDP-saved, as some copies are
    assert main([str(src), str(dst)]) == dict(type='ResNetV1c', depth=50, stem_channels=128)
    dilated = dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2), contract_dilation=True) if output_stride == 16 else {}
    ours = mmseg_resnet(init_cfg=dict(type='Pretrained', checkpoint=str(dst)), **dilated)
    ours.init_weights()
    ours.eval()
    x = torch.randn(1, 3, 66, 66)  # the stem gives 33 x 33, where ceil- and floor-mode pooling agree (as at 513)
    with torch.no_grad():
        for theirs, mine in zip(official.features(x), ours(x)):
            torch.testing.assert_close(mine, theirs, rtol=1e-4, atol=1e-4)


def test_layout_checks():
    official = OfficialLayoutResNet().state_dict()
    converted = convert_official_resnet(unwrap({'state_dict': official}))
    assert 'stem.7.running_var' in converted and not any(k.startswith(('conv1', 'bn1', 'fc')) for k in converted)
    assert set(converted) == set(mmseg_resnet().state_dict())
    with pytest.raises(KeyError, match='7x7'):
        convert_official_resnet(tv_resnet.resnet50().state_dict())
    with pytest.raises(KeyError, match='neither'):
        convert_official_resnet({f'encoder.{k}': v for k, v in official.items()})
