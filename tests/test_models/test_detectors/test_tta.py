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
    assert cfg.model.tta_cfg == dict(scales=[0.75, 1.0], flip=True)
    assert build_cfg(parse_args([CONFIG, 'x.pth', '--work-dir', str(tmp_path)])
                     ).model.get('tta_cfg') is None
