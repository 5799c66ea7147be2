"""Box coders: their decodings, their reach, their settings in checkpoints, and the
head's build-time check of the coder against the assigner's reach."""
import pytest
import torch
from mmengine.runner import load_checkpoint

from yolo_toolbox.models.task_modules.coders import CoderMismatchError
from yolo_toolbox.registry import MODELS, TASK_UTILS

RAW = torch.tensor([[-30.0, 0.0, 0.0, 1.0], [0.3, 30.0, -1.0, 0.5]])
GRID_XY = torch.tensor([[2.0, 3.0], [5.0, 1.0]])
ANCHOR_WH = torch.tensor([[10.0, 20.0], [30.0, 40.0]])


def coder(**cfg):
    return TASK_UTILS.build(cfg)


def test_yolo_coder_centre_and_sizes():
    nearby = coder(type='YOLOBBoxCoder', centre_reach=(-1.0, 2.0), squash='tanh',
                   wh_decode='sigmoid_square')
    boxes = nearby.decode(RAW, GRID_XY, ANCHOR_WH, 16, (8, 8))
    # centre (grid + 1.5 * tanh + 0.5) * stride; size (2 * sigmoid) ** 2 * anchor
    offset = 1.5 * RAW[:, :2].tanh() + 0.5
    assert torch.allclose(boxes[:, :2], (GRID_XY + offset) * 16)
    assert torch.allclose(boxes[:, 2:], (2 * RAW[:, 2:].sigmoid()) ** 2 * ANCHOR_WH)
    assert boxes[0, 0].item() == pytest.approx((2 - 1.0) * 16)  # the reach's low end
    linear = coder(type='YOLOBBoxCoder', centre_reach=(0.0, 1.0), squash='sigmoid',
                   wh_decode='linear').decode(RAW, GRID_XY, ANCHOR_WH, 16, (8, 8))
    assert torch.allclose(linear[:, 2:], RAW[:, 2:] * 4 * ANCHOR_WH)
    exp = coder(type='YOLOBBoxCoder', wh_decode='exp').decode(RAW, GRID_XY, ANCHOR_WH, 16, (8, 8))
    assert torch.allclose(exp[:, 2:], RAW[:, 2:].exp() * ANCHOR_WH)
    # the whole map: tanh * grid size (W, H)
    whole = coder(type='YOLOBBoxCoder', centre_reach=None, squash='tanh')
    assert torch.allclose(whole.centre_offset(RAW[:, :2], (8, 10)),
                          RAW[:, :2].tanh() * torch.tensor([10.0, 8.0]), atol=1e-5)


def test_yolox_coder_is_unbounded():
    yolox = coder(type='YOLOXBBoxCoder')
    boxes = yolox.decode(RAW, GRID_XY, ANCHOR_WH, 8, (8, 8))
    assert torch.allclose(boxes[:, :2], (GRID_XY + RAW[:, :2]) * 8)  # -30 cells: reachable
    assert torch.allclose(boxes[:, 2:], RAW[:, 2:].exp() * 8)
    anchor = coder(type='YOLOXBBoxCoder', wh_base='anchor').decode(RAW, GRID_XY, ANCHOR_WH, 8,
                                                                   (8, 8))
    assert torch.allclose(anchor[:, 2:], RAW[:, 2:].exp() * ANCHOR_WH)
    huge = yolox.decode(torch.tensor([[0.0, 0.0, 1e4, 1e4]]), GRID_XY[:1], ANCHOR_WH[:1], 8,
                        (8, 8))
    assert torch.isfinite(huge).all()  # clamped at max_log_wh


def test_reach_cover():
    nearby = coder(type='YOLOBBoxCoder', centre_reach=(-1.0, 2.0))
    assert nearby.covers((0.0, 1.0)) and nearby.covers((-1.0, 2.0))
    assert not nearby.covers((-2.0, 3.0)) and not nearby.covers(None)
    assert coder(type='YOLOXBBoxCoder').covers(None)
    assert coder(type='YOLOBBoxCoder', centre_reach=None).covers(None)
    with pytest.raises(ValueError, match='squash'):
        coder(type='YOLOBBoxCoder', squash='relu')
    with pytest.raises(ValueError, match='wh_base'):
        coder(type='YOLOXBBoxCoder', wh_base='cell')


def head_cfg(assigner, bbox_coder=None):
    return dict(type='YOLOHead', num_classes=3, in_channels=(8, 16, 32),
                assigner=assigner, bbox_coder=bbox_coder)


def test_head_refuses_a_coder_that_cannot_reach_the_assigners_positives():
    nearby_coder = dict(type='YOLOBBoxCoder', centre_reach=(-1.0, 2.0), squash='tanh')
    for assigner in (dict(type='SimOTAAssigner'), dict(type='TaskAlignedAssigner'),
                     dict(type='AllGridAssigner')):
        with pytest.raises(ValueError, match='anywhere on the map'):
            MODELS.build(head_cfg(assigner, nearby_coder))
    with pytest.raises(ValueError, match=r'\(-0.5, 1.5\)'):  # YOLOv5's reach, single grid's coder
        MODELS.build(head_cfg(dict(type='YOLOv5Assigner'),
                              dict(type='YOLOBBoxCoder', centre_reach=(0.0, 1.0))))
    # a coder that reaches further than needed is accepted
    head = MODELS.build(head_cfg(dict(type='SingleGridAssigner'), nearby_coder))
    assert head.bbox_coder.reach == (-1.0, 2.0)


@pytest.mark.parametrize('assigner,expected', [
    ('SingleGridAssigner', dict(type='YOLOBBoxCoder', centre_reach=(0.0, 1.0), squash='sigmoid')),
    ('NearbyGridAssigner', dict(type='YOLOBBoxCoder', centre_reach=(-1.0, 2.0), squash='tanh')),
    ('AllGridAssigner', dict(type='YOLOBBoxCoder', centre_reach=None, squash='tanh')),
    ('YOLOv5Assigner', dict(type='YOLOBBoxCoder', centre_reach=(-0.5, 1.5), squash='sigmoid')),
    ('SimOTAAssigner', dict(type='YOLOXBBoxCoder', wh_base='anchor')),
    ('TaskAlignedAssigner', dict(type='YOLOXBBoxCoder', wh_base='anchor')),
    ('ATSSAssigner', dict(type='YOLOXBBoxCoder', wh_base='anchor'))])
def test_default_coder_of_each_assigner(assigner, expected):
    head = MODELS.build(head_cfg(dict(type=assigner)))
    config = head.bbox_coder.config()
    assert {k: config[k] for k in expected} == expected


def test_coder_settings_travel_in_checkpoints(tmp_path):
    cfg = head_cfg(dict(type='NearbyGridAssigner'),
                   dict(type='YOLOBBoxCoder', centre_reach=(-1.0, 2.0), squash='tanh',
                        wh_decode='linear'))
    head = MODELS.build(cfg)
    state = head.state_dict()
    assert state['bbox_coder.coder_settings'].dtype == torch.uint8
    path = tmp_path / 'head.pth'
    torch.save({'state_dict': state}, path)
    same = MODELS.build(cfg)
    load_checkpoint(same, str(path))  # same coder: loads
    other = MODELS.build({**cfg, 'bbox_coder': {**cfg['bbox_coder'], 'wh_decode': 'exp'}})
    with pytest.raises(CoderMismatchError, match=r"wh_decode 'linear' \(checkpoint\) vs 'exp'"):
        load_checkpoint(other, str(path))
    yolox = MODELS.build(head_cfg(dict(type='NearbyGridAssigner'),
                                  dict(type='YOLOXBBoxCoder', wh_base='anchor')))
    with pytest.raises(CoderMismatchError, match='type'):
        load_checkpoint(yolox, str(path))
    # a checkpoint written before coders existed has no settings: it loads
    del state['bbox_coder.coder_settings']
    torch.save({'state_dict': state}, path)
    load_checkpoint(other, str(path))


def test_inference_uses_the_coder_not_the_assigner():
    head = MODELS.build(head_cfg(dict(type='TaskAlignedAssigner')))
    head.eval()
    head.assigner = None  # anything that consulted it would fail
    feats = [torch.randn(1, c, 64 // s, 64 // s) for c, s in zip((8, 16, 32), (8, 16, 32))]
    results = head.predict_by_feat(head(feats), [dict(ori_shape=(64, 64))])
    assert len(results) == 1 and results[0].bboxes.shape[1] == 4
