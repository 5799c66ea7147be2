"""Darknet-53 backbone: layout, shapes, freezing, norm/act configs."""
import pytest
import torch
from torch import nn

from yolo_toolbox.registry import MODELS


def _build(**kwargs) -> nn.Module:
    return MODELS.build(dict(type='Darknet', **kwargs))


def test_darknet_shapes_and_channels():
    model = _build(channel_sparsity=0.25).eval()
    assert model.out_channels == (64, 128, 256)
    assert model.strides == (8, 16, 32)
    with torch.no_grad():
        feats = model(torch.randn(2, 3, 64, 96))
    assert [tuple(f.shape) for f in feats] == [(2, 64, 8, 12), (2, 128, 4, 6), (2, 256, 2, 3)]


def test_darknet_layout():
    model = _build(channel_sparsity=0.25)
    assert [len(getattr(model, f'stage{i}')) for i in range(1, 6)] == [1, 2, 8, 8, 4]
    assert [name for name, _ in model.named_children()] == [
        'stage0', 'stage1', 'down1', 'stage2', 'down2', 'stage3', 'down3', 'stage4',
        'down4', 'stage5']
    assert tuple(model.stage0[0].conv.weight.shape) == (8, 3, 3, 3)
    assert tuple(model.stage5[0].conv[0].conv.weight.shape) == (128, 256, 1, 1)


def test_darknet_all_stages():
    model = _build(channel_sparsity=0.125, out_indices=tuple(range(6))).eval()
    assert model.out_channels == (8, 8, 16, 32, 64, 128)
    assert model.strides == (2, 2, 4, 8, 16, 32)
    with torch.no_grad():
        feats = model(torch.randn(1, 3, 64, 64))
    assert [f.shape[1:] for f in feats] == [
        (c, 64 // s, 64 // s) for c, s in zip(model.out_channels, model.strides)]


def test_darknet_frozen_stages_norm_eval_and_configs():
    model = _build(channel_sparsity=0.125, frozen_stages=2).train()
    assert not any(p.requires_grad for p in model.down1.parameters())
    assert not any(p.requires_grad for p in model.stage2.parameters())
    assert all(p.requires_grad for p in model.down2.parameters())
    assert not model.stage2[0].conv[0].bn.training and model.stage3[0].conv[0].bn.training

    model = _build(channel_sparsity=0.125, norm_eval=True,
                   norm_cfg=dict(type='SyncBN'), act_cfg=dict(type='LeakyReLU')).train()
    norms = [m for m in model.modules() if isinstance(m, nn.SyncBatchNorm)]
    assert norms and not any(m.training for m in norms)
    assert any(isinstance(m, nn.LeakyReLU) for m in model.modules())


@pytest.mark.parametrize('kwargs', [dict(arch='darknet19'), dict(channel_sparsity=0.01),
                                    dict(out_indices=(6,))])
def test_darknet_invalid_args(kwargs):
    with pytest.raises(ValueError):
        _build(**kwargs)
