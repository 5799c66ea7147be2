"""YOLOSPPPAN neck: shapes, the original's layer layout, norm/act configs."""
import pytest
import torch
from torch import nn

from yolo_toolbox.registry import MODELS


def _feats(channels, size, batch=2):
    """Random backbone maps at strides 8/16/32 for an input of ``size`` (H, W) pixels."""
    h, w = size
    return [torch.randn(batch, c, -(-h // s), -(-w // s)) for c, s in zip(channels, (8, 16, 32))]


@pytest.mark.parametrize('size', [(64, 64), (96, 160), (100, 70)])
def test_neck_shapes(size):
    neck = MODELS.build(dict(type='YOLOSPPPAN', in_channels=(64, 128, 256))).eval()
    assert neck.out_channels == (64, 128, 256)
    feats = _feats((64, 128, 256), size)
    with torch.no_grad():
        outs = neck(feats)
    assert [tuple(o.shape) for o in outs] == [
        (2, c, *f.shape[2:]) for c, f in zip(neck.out_channels, feats)]


def test_neck_on_backbones():
    for backbone_cfg in (dict(type='ResNet', depth=18, channel_sparsity=0.25),
                         dict(type='Darknet', channel_sparsity=0.125)):
        backbone = MODELS.build(backbone_cfg).eval()
        neck = MODELS.build(dict(type='YOLOSPPPAN', in_channels=backbone.out_channels)).eval()
        with torch.no_grad():
            outs = neck(backbone(torch.randn(1, 3, 128, 128)))
        c = backbone.out_channels[-1]
        assert neck.out_channels == (c // 4, c // 2, c)
        assert [tuple(o.shape[1:]) for o in outs] == [(c // 4, 16, 16), (c // 2, 8, 8), (c, 4, 4)]
        backbone.train(), neck.train()  # gradients flow through every parameter
        sum(o.mean() for o in neck(backbone(torch.randn(2, 3, 64, 64)))).backward()
        params = list(backbone.parameters()) + list(neck.parameters())
        assert all(p.grad is not None for p in params)


def test_neck_layout_matches_original():
    c = 256
    neck = MODELS.build(dict(type='YOLOSPPPAN', in_channels=(c // 4, c // 2, c)))
    assert tuple(neck.spp.conv1.conv.weight.shape) == (c // 2, c, 1, 1)
    assert tuple(neck.spp.conv2.conv.weight.shape) == (c, 2 * c, 1, 1)
    assert [p.kernel_size for p in neck.spp.pools] == [5, 9, 13]
    assert tuple(neck.up2[0].conv.weight.shape) == (c // 4, c, 1, 1)
    assert tuple(neck.head1[0].conv.weight.shape) == (c // 4, c // 2, 1, 1)
    depthwise, pointwise = neck.head3[0]
    assert depthwise.conv.groups == c and depthwise.conv.bias is None
    assert pointwise.conv.bias is not None  # the original's DSConv pointwise conv has a bias
    assert tuple(pointwise.conv.weight.shape) == (c, c, 1, 1)
    convs = [m for m in neck.modules() if isinstance(m, nn.Conv2d)]
    assert sum(conv.bias is not None for conv in convs) == 2  # only the two pointwise convs


def test_neck_configs_and_general_in_channels():
    neck = MODELS.build(dict(type='YOLOSPPPAN', in_channels=(40, 72, 128), use_spp=False,
                             norm_cfg=dict(type='SyncBN'), act_cfg=dict(type='SiLU'))).eval()
    assert isinstance(neck.spp, nn.Identity)
    assert any(isinstance(m, nn.SyncBatchNorm) for m in neck.modules())
    assert any(isinstance(m, nn.SiLU) for m in neck.modules())
    assert neck.out_channels == (32, 64, 128)
    assert tuple(neck.up2[0].conv.weight.shape) == (32, 64 + 72, 1, 1)
    assert tuple(neck.head1[0].conv.weight.shape) == (32, 32 + 40, 1, 1)
    with torch.no_grad():
        outs = neck(_feats((40, 72, 128), (64, 64)))
    assert [o.shape[1] for o in outs] == [32, 64, 128]


def test_neck_invalid_inputs():
    with pytest.raises(ValueError):
        MODELS.build(dict(type='YOLOSPPPAN', in_channels=(64, 128)))
    neck = MODELS.build(dict(type='YOLOSPPPAN', in_channels=(16, 32, 64)))
    with pytest.raises(ValueError):
        neck(_feats((32, 64), (64, 64)))


def _convs(module):
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize('kind', ['neck', 'darknet'])
def test_conv_init_pytorch_default_vs_kaiming_fan_out(kind):
    """'pytorch' (default, the original's): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std
    1/sqrt(3 fan_in); 'kaiming_fan_out' (mmcv ConvModule): N(0, 2/fan_out)."""
    cfg = (dict(type='YOLOSPPPAN', in_channels=(64, 128, 256)) if kind == 'neck'
           else dict(type='Darknet', channel_sparsity=0.25))
    torch.manual_seed(0)
    default = MODELS.build(cfg)
    default.init_weights()
    kaiming = MODELS.build({**cfg, 'conv_init': 'kaiming_fan_out'})
    kaiming.init_weights()
    checked = 0
    for conv_default, conv_kaiming in zip(_convs(default), _convs(kaiming)):
        weight = conv_default.weight
        fan_in = weight[0].numel()
        fan_out = weight.shape[0] * weight[0, 0].numel()
        assert weight.abs().max() <= 1 / fan_in ** 0.5 + 1e-7
        if weight.numel() >= 4096:  # enough samples for a 10% test of the std
            checked += 1
            assert weight.std().item() == pytest.approx((3 * fan_in) ** -0.5, rel=0.1)
            assert conv_kaiming.weight.std().item() == pytest.approx((2 / fan_out) ** 0.5,
                                                                      rel=0.1)
    assert checked >= 5


def test_conv_init_name_is_checked():
    with pytest.raises(ValueError, match='conv_init'):
        MODELS.build(dict(type='YOLOSPPPAN', in_channels=(64, 128, 256), conv_init='xavier'))
