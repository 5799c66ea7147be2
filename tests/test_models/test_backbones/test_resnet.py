"""ResNet backbone: shapes, slicing of pretrained weights, freezing, activations."""
import pytest
import torch
import torchvision
from torch import nn

from yolo_toolbox.registry import MODELS


def _build(**kwargs) -> nn.Module:
    return MODELS.build(dict(type='ResNet', **kwargs))


@pytest.mark.parametrize('depth, channel_sparsity, expected_channels', [
    (18, 0.5, (64, 128, 256)),
    (34, 0.25, (32, 64, 128)),
    (50, 0.25, (128, 256, 512)),
])
def test_resnet_shapes_and_channels(depth, channel_sparsity, expected_channels):
    model = _build(depth=depth, channel_sparsity=channel_sparsity).eval()
    assert model.out_channels == expected_channels
    assert model.strides == (8, 16, 32)
    with torch.no_grad():
        feats = model(torch.randn(2, 3, 64, 96))
    assert [tuple(f.shape) for f in feats] == [
        (2, c, 64 // s, 96 // s) for c, s in zip(expected_channels, (8, 16, 32))]


def test_resnet_all_stages_and_odd_input():
    model = _build(depth=18, channel_sparsity=0.25, out_indices=(0, 1, 2, 3)).eval()
    assert model.out_channels == (16, 32, 64, 128)
    assert model.strides == (4, 8, 16, 32)
    with torch.no_grad():
        feats = model(torch.randn(1, 3, 100, 70))
    assert [tuple(f.shape[2:]) for f in feats] == [(25, 18), (13, 9), (7, 5), (4, 3)]


def test_resnet_narrowing_follows_original_rule():
    """Every conv: int(c * cs) outputs; inputs too except the first conv (3 image channels)."""
    model = _build(depth=18, channel_sparsity=0.75)
    assert tuple(model.conv1.weight.shape) == (48, 3, 7, 7)
    assert tuple(model.layer2[0].downsample[0].weight.shape) == (96, 48, 1, 1)
    assert tuple(model.layer4[1].conv2.weight.shape) == (384, 384, 3, 3)
    assert model.layer4[1].bn2.num_features == 384
    assert model.layer4[1].bn2.running_mean.shape == (384,)
    assert not hasattr(model, 'fc')


def test_resnet_pretrained_is_sliced(tmp_path):
    full = torchvision.models.resnet18(weights=None)
    for module in full.modules():  # non-trivial BN statistics and affine params
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            nn.init.uniform_(module.weight)
            nn.init.uniform_(module.bias)
    full_state = full.state_dict()
    path = tmp_path / 'resnet18-full.pth'
    torch.save(full_state, path)

    model = _build(depth=18, channel_sparsity=0.5, pretrained=str(path))
    state = model.state_dict()
    assert torch.equal(state['conv1.weight'], full_state['conv1.weight'][:32])  # all 3 inputs
    assert torch.equal(state['layer1.0.conv1.weight'],
                       full_state['layer1.0.conv1.weight'][:32, :32])
    assert torch.equal(state['layer2.0.downsample.0.weight'],
                       full_state['layer2.0.downsample.0.weight'][:64, :32])
    assert torch.equal(state['layer4.1.conv2.weight'],
                       full_state['layer4.1.conv2.weight'][:256, :256])
    for key in ('bn1', 'layer3.1.bn2'):
        n = state[f'{key}.weight'].numel()
        for stat in ('weight', 'bias', 'running_mean', 'running_var'):
            assert torch.equal(state[f'{key}.{stat}'], full_state[f'{key}.{stat}'][:n])
    assert not any(k.startswith('fc.') for k in state)
    with torch.no_grad():
        assert model.eval()(torch.randn(1, 3, 64, 64))[-1].shape == (1, 256, 2, 2)


def test_resnet_pretrained_mismatches_reported(tmp_path, monkeypatch):
    import yolo_toolbox.models.backbones.resnet as resnet_module
    messages = []
    monkeypatch.setattr(resnet_module, 'print_log', lambda msg, **kw: messages.append(msg))
    full_state = torchvision.models.resnet18(weights=None).state_dict()
    full_state.pop('layer1.0.conv1.weight')
    full_state['extra.weight'] = torch.zeros(1)
    full_state['layer1.0.conv2.weight'] = torch.zeros(1, 1, 1, 1)
    path = tmp_path / 'partial.pth'
    torch.save({'state_dict': full_state}, path)  # mmengine-style wrapper is accepted

    _build(depth=18, channel_sparsity=0.5, pretrained=str(path))
    report = '\n'.join(messages)
    assert 'layer1.0.conv1.weight' in report and 'extra.weight' in report
    assert 'layer1.0.conv2.weight' in report and 'fc.weight' not in report


def test_resnet_pretrained_missing_file(tmp_path):
    missing = tmp_path / 'nope' / 'resnet18-f37072fd.pth'
    with pytest.raises(FileNotFoundError, match='resnet18-f37072fd.pth'):
        _build(depth=18, channel_sparsity=0.5, pretrained=str(missing))


def test_resnet_frozen_stages_and_norm_eval():
    model = _build(depth=18, channel_sparsity=0.25, frozen_stages=1).train()
    assert not any(p.requires_grad for p in model.conv1.parameters())
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert not model.bn1.training and not model.layer1[0].bn1.training
    assert model.layer2[0].bn1.training

    model = _build(depth=18, channel_sparsity=0.25, norm_eval=True).train()
    assert model.training
    assert not any(m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d))


def test_resnet_activation_replaced():
    model = _build(depth=18, channel_sparsity=0.25, act_cfg=dict(type='SiLU'))
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    assert any(isinstance(m, nn.SiLU) for m in model.modules())


@pytest.mark.parametrize('kwargs', [
    dict(depth=20), dict(depth=18, channel_sparsity=0.0), dict(depth=18, channel_sparsity=1.5),
    dict(depth=18, out_indices=(4,)),
])
def test_resnet_invalid_args(kwargs):
    with pytest.raises(ValueError):
        _build(**kwargs)
