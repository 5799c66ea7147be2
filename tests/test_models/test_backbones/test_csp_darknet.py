"""YOLOv8CSPDarknet: shapes, widths, parameter parity with Ultralytics, freezing."""
import pytest
import torch
from torch import nn

from yolo_toolbox.models.layers import SPPF, C2f, make_divisible, scale_depth
from yolo_toolbox.registry import MODELS

# (deepen, widen) -> parameters of Ultralytics' yolov8{n,s}.yaml layers 0-9 (backbone)
REFERENCE_PARAMS = {(0.33, 0.25): 1272656, (0.33, 0.5): 5079712}


def _build(**kwargs) -> nn.Module:
    return MODELS.build(dict(type='YOLOv8CSPDarknet', **kwargs))


def test_width_and_depth_rules():
    assert make_divisible(64 * 0.25) == 16 and make_divisible(1024 * 0.25) == 256
    assert make_divisible(12.1) == 16
    assert scale_depth(3, 0.33) == 1 and scale_depth(6, 0.33) == 2 and scale_depth(1, 0.1) == 1


def test_shapes_channels_strides():
    model = _build(deepen_factor=0.33, widen_factor=0.25).eval()
    assert model.out_channels == (64, 128, 256) and model.strides == (8, 16, 32)
    with torch.no_grad():
        feats = model(torch.randn(2, 3, 64, 96))
    assert [tuple(f.shape) for f in feats] == [(2, 64, 8, 12), (2, 128, 4, 6), (2, 256, 2, 3)]
    # non-multiple of 32: every stride-2 conv rounds up
    with torch.no_grad():
        feats = model(torch.randn(1, 3, 70, 70))
    assert [f.shape[-1] for f in feats] == [9, 5, 3]


def test_layout():
    model = _build(deepen_factor=0.33, widen_factor=0.25)
    assert [name for name, _ in model.named_children()] == [
        'stem', 'stage1', 'stage2', 'stage3', 'stage4']
    c2fs = [m for m in model.modules() if isinstance(m, C2f)]
    assert [len(m.blocks) for m in c2fs] == [1, 2, 2, 1]
    assert all(b.add_identity for m in c2fs for b in m.blocks)
    assert isinstance(model.stage4[-1], SPPF)
    conv = model.stem
    assert conv.conv.bias is None and conv.bn.eps == 1e-3 and conv.bn.momentum == 0.03
    assert isinstance(conv.activate, nn.SiLU)


@pytest.mark.parametrize('factors, params', REFERENCE_PARAMS.items(), ids=['n', 's'])
def test_params_match_ultralytics(factors, params):
    model = _build(deepen_factor=factors[0], widen_factor=factors[1])
    assert sum(p.numel() for p in model.parameters()) == params


def test_last_stage_width_all_outputs_and_init():
    model = _build(deepen_factor=0.67, widen_factor=0.75, last_stage_out_channels=768,
                   out_indices=(0, 1, 2, 3, 4))
    assert model.out_channels == (48, 96, 192, 384, 576)
    assert model.strides == (2, 4, 8, 16, 32)
    model.init_weights()  # PyTorch's conv init: fan-in uniform bound 1/sqrt(fan_in)
    weight = model.stem.conv.weight
    assert weight.abs().max() <= 1 / (3 * 9) ** 0.5


def test_frozen_stages_and_norm_eval():
    model = _build(deepen_factor=0.33, widen_factor=0.125, frozen_stages=1).train()
    assert not any(p.requires_grad for p in model.stem.parameters())
    assert not any(p.requires_grad for p in model.stage1.parameters())
    assert all(p.requires_grad for p in model.stage2.parameters())
    assert not model.stage1[0].bn.training and model.stage2[0].bn.training
    model = _build(deepen_factor=0.33, widen_factor=0.125, norm_eval=True).train()
    assert not any(m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d))


@pytest.mark.parametrize('kwargs', [dict(widen_factor=0), dict(out_indices=(5, )),
                                    dict(conv_init='xavier')])
def test_invalid_args(kwargs):
    with pytest.raises(ValueError):
        _build(**kwargs)


def test_ultralytics_backbone_params_when_installed():
    tasks = pytest.importorskip('ultralytics.nn.tasks')
    for size, factors in (('n', (0.33, 0.25)), ('s', (0.33, 0.5))):
        reference = tasks.DetectionModel(f'yolov8{size}.yaml', nc=80, verbose=False)
        expected = sum(p.numel() for p in reference.model[:10].parameters())
        assert expected == REFERENCE_PARAMS[factors]
