"""Test-time augmentation (YOLODetector.predict_tta, tools/test.py --tta)."""
import pytest
import torch
from mmengine.config import Config

from yolo_toolbox.registry import MODELS
from yolo_toolbox.structures import DetDataSample
from yolo_toolbox.utils import register_all_modules

register_all_modules()
CONFIG = 'configs/demo/yolo_demo.py'


def build(tta_cfg=None):
    cfg = Config.fromfile(CONFIG)
    cfg.model['tta_cfg'] = tta_cfg
    return MODELS.build(cfg.model).eval()


def samples(n, size=256):
    return [DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                        scale_factor=(1.0, 1.0), pad_param=[0, 0, 0, 0]))
            for _ in range(n)]


def test_one_pass_equals_plain_prediction():
    torch.manual_seed(0)
    model = build()
    x = torch.rand(2, 3, 256, 256)
    with torch.no_grad():
        plain = [s.pred_instances for s in model(x, samples(2), mode='predict')]
        model.tta_cfg = dict(scales=[1.0], flip=False)
        tta = [s.pred_instances for s in model(x, samples(2), mode='predict')]
    for a, b in zip(plain, tta):
        assert len(a) == len(b) > 0
        torch.testing.assert_close(a.bboxes, b.bboxes)
        torch.testing.assert_close(a.scores, b.scores)


def test_every_pass_maps_back_to_the_input_frame(monkeypatch):
    """A stand-in network 'detects' the bright square wherever it sees it, in the pixels
    of the input it was given; after scaling and flipping back, every pass must put the
    box where the square is in the original input, so NMS leaves exactly one box."""
    model = build(dict(scales=[0.5, 1.0, 1.5], flip=True))
    x = torch.zeros(1, 3, 256, 320)
    x[..., 40:104, 200:264] = 1.0  # the square: x 200-264, y 40-104
    seen = []

    def features(inputs):
        return inputs

    def head(inputs):
        return inputs

    def decode(inputs):
        mask = inputs[0, 0] > 0.5
        ys, xs = torch.nonzero(mask, as_tuple=True)
        box = torch.stack([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]).float()
        seen.append(tuple(inputs.shape[-2:]))
        scores = torch.zeros(1, 1, model.bbox_head.num_classes)
        scores[0, 0, 2] = 0.9
        return box.view(1, 1, 4), scores

    monkeypatch.setattr(model, 'extract_feat', features)
    monkeypatch.setattr(model.bbox_head, 'forward', head)
    monkeypatch.setattr(model.bbox_head, 'decode_preds', decode)
    pred = model(x, samples(1, 320), mode='predict')[0].pred_instances
    # sizes rounded up to multiples of 32; each once plain and once flipped
    assert sorted(set(seen)) == [(128, 160), (256, 320), (384, 480)]
    assert len(seen) == 6
    assert len(pred) == 1 and int(pred.labels[0]) == 2
    # bilinear resizing blurs the square's edge by about one pixel of the resized input:
    # at scale 0.5 that is 2 px of the original
    torch.testing.assert_close(pred.bboxes[0], torch.tensor([200., 40., 264., 104.]),
                               atol=2.0, rtol=0)
    assert pred.scores[0] == pytest.approx(0.9)


def test_bad_tta_cfg_is_refused():
    with pytest.raises(ValueError, match='unknown keys'):
        build(dict(scales=[1.0], flips=True))
    with pytest.raises(ValueError, match='positive'):
        build(dict(scales=[]))


def test_test_py_tta_flag_sets_the_model(tmp_path):
    from tools.test import build_cfg, parse_args
    args = parse_args([CONFIG, 'none.pth', '--work-dir', str(tmp_path), '--tta',
                       '--tta-scales', '0.75', '1'])
    cfg = build_cfg(args)
    assert cfg.model.tta_cfg == dict(scales=[0.75, 1.0], flip=True, merge='fuse')
    assert build_cfg(parse_args([CONFIG, 'x.pth', '--work-dir', str(tmp_path)])
                     ).model.get('tta_cfg') is None


def test_fuse_pass_detections_hand_worked():
    """Two passes: one object seen by both (fused, mean score), one seen by one pass
    (score halved), a box of another class on the same spot (not fused)."""
    from yolo_toolbox.models.detectors.yolo_detector import fuse_pass_detections
    pass_a = torch.tensor([[0., 0., 10., 10., 0.8, 0.], [50., 50., 60., 60., 0.5, 1.]])
    pass_b = torch.tensor([[1., 1., 11., 11., 0.6, 0.], [0., 0., 10., 10., 0.4, 1.]])
    fused = fuse_pass_detections([pass_a, pass_b], iou_thr=0.5, max_dets=10)
    # IoU of the two class-0 boxes: 81 / 119 = 0.68 > 0.5: one object
    corner = 0.6 / 1.4  # (0.8 * 0 + 0.6 * 1) / (0.8 + 0.6)
    expected = torch.tensor([[corner, corner, 10 + corner, 10 + corner, 0.7, 0.],
                             [50., 50., 60., 60., 0.25, 1.],
                             [0., 0., 10., 10., 0.2, 1.]])
    torch.testing.assert_close(fused, expected)
    assert len(fuse_pass_detections([pass_a, pass_b], iou_thr=0.5, max_dets=2)) == 2
    assert fuse_pass_detections([pass_a[:0], pass_b[:0]], 0.5, 10).shape == (0, 6)


def test_fuse_pass_detections_one_pass_unchanged_and_no_double_count():
    from yolo_toolbox.models.detectors.yolo_detector import fuse_pass_detections
    dets = torch.tensor([[0., 0., 10., 10., 0.9, 2.], [20., 0., 30., 12., 0.3, 2.],
                         [5., 5., 9., 9., 0.5, 0.]])  # no same-class pair above IoU 0.5
    torch.testing.assert_close(fuse_pass_detections([dets], 0.5, 10), dets[[0, 2, 1]])
    # two boxes of one pass on one object (IoU 0.68): the pass counts once, at its best
    pass_a = torch.tensor([[0., 0., 10., 10., 0.8, 0.], [1., 1., 11., 11., 0.7, 0.]])
    fused = fuse_pass_detections([pass_a, pass_a[:0]], iou_thr=0.5, max_dets=10)
    assert fused.shape == (1, 6)
    assert fused[0, 4].item() == pytest.approx(0.4)  # max(0.8, 0.7) / 2 passes
    assert fused[0, 0].item() == pytest.approx(0.7 / 1.5)  # score-weighted mean corner


def test_tta_merge_modes_and_refusal():
    with pytest.raises(ValueError, match="merge"):
        build(dict(scales=[1.0], merge='vote'))
    model = build(dict(scales=[1.0, 0.5], flip=True, merge='nms'))
    model.eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        for merge in ('nms', 'fuse'):
            model.tta_cfg['merge'] = merge
            pred = model(x, samples(1), mode='predict')[0].pred_instances
            assert pred.bboxes.shape[1] == 4 and len(pred.bboxes) == len(pred.scores) > 0
            assert (pred.scores > 0).all() and (pred.scores <= 1).all()
