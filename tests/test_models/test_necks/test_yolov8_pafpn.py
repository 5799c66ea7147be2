"""YOLOv8PAFPN: shapes, parameter parity with Ultralytics, any backbone -> any neck."""
import pytest
import torch

from yolo_toolbox.registry import MODELS

# (deepen, widen) -> parameters of Ultralytics' yolov8{n,s}.yaml layers 10-21 (neck)
REFERENCE_PARAMS = {(0.33, 0.25): 986880, (0.33, 0.5): 3939840}


def _pair(backbone: dict, neck: dict):
    backbone = MODELS.build(backbone)
    neck = MODELS.build({**neck, 'in_channels': backbone.out_channels})
    return backbone.eval(), neck.eval()


@pytest.mark.parametrize('factors, params', REFERENCE_PARAMS.items(), ids=['n', 's'])
def test_params_match_ultralytics(factors, params):
    _, neck = _pair(dict(type='YOLOv8CSPDarknet', deepen_factor=factors[0],
                         widen_factor=factors[1]),
                    dict(type='YOLOv8PAFPN', deepen_factor=factors[0]))
    assert sum(p.numel() for p in neck.parameters()) == params
    assert neck.out_channels == neck.in_channels


def test_shapes_and_custom_out_channels():
    neck = MODELS.build(dict(type='YOLOv8PAFPN', in_channels=(8, 16, 32),
                             out_channels=(16, 24, 40), deepen_factor=0.33)).eval()
    # odd sizes, as a backbone's padded stride-2 convs give them: 9x10 -> 5x5 -> 3x3
    feats = [torch.randn(2, c, *hw) for c, hw in ((8, (9, 10)), (16, (5, 5)), (32, (3, 3)))]
    with torch.no_grad():
        outs = neck(feats)
    assert [tuple(o.shape) for o in outs] == [(2, 16, 9, 10), (2, 24, 5, 5), (2, 40, 3, 3)]


def test_two_and_four_levels():
    for channels in ((8, 16), (8, 16, 32, 64)):
        neck = MODELS.build(dict(type='YOLOv8PAFPN', in_channels=channels)).eval()
        feats = [torch.randn(1, c, 32 >> i, 32 >> i) for i, c in enumerate(channels)]
        with torch.no_grad():
            outs = neck(feats)
        assert [o.shape[1:] for o in outs] == [f.shape[1:] for f in feats]


@pytest.mark.parametrize('backbone, neck', [
    (dict(type='ResNet', depth=18, channel_sparsity=0.25), dict(type='YOLOv8PAFPN')),
    (dict(type='Darknet', channel_sparsity=0.125), dict(type='YOLOv8PAFPN')),
    (dict(type='YOLOv8CSPDarknet', deepen_factor=0.33, widen_factor=0.25),
     dict(type='YOLOSPPPAN')),
], ids=['resnet-v8pafpn', 'darknet-v8pafpn', 'v8csp-spppan'])
def test_any_backbone_feeds_any_neck(backbone, neck):
    backbone, neck = _pair(backbone, neck)
    with torch.no_grad():
        outs = neck(backbone(torch.randn(1, 3, 64, 64)))
    assert [o.shape[1] for o in outs] == list(neck.out_channels)
    assert [o.shape[-1] for o in outs] == [8, 4, 2]


def test_wrong_inputs():
    with pytest.raises(ValueError):
        MODELS.build(dict(type='YOLOv8PAFPN', in_channels=(8, )))
    with pytest.raises(ValueError):
        MODELS.build(dict(type='YOLOv8PAFPN', in_channels=(8, 16), out_channels=(8, )))
    neck = MODELS.build(dict(type='YOLOv8PAFPN', in_channels=(8, 16)))
    with pytest.raises(ValueError):
        neck([torch.randn(1, 8, 4, 4)])


def test_ultralytics_neck_params_when_installed():
    tasks = pytest.importorskip('ultralytics.nn.tasks')
    for size, factors in (('n', (0.33, 0.25)), ('s', (0.33, 0.5))):
        reference = tasks.DetectionModel(f'yolov8{size}.yaml', nc=80, verbose=False)
        assert sum(p.numel() for p in reference.model[10:22].parameters()) == \
            REFERENCE_PARAMS[factors]
