"""Multi-label NMS (issue 18): every (box, class) pair above score_thr is a candidate, then
class-aware NMS (YOLOv5 val.py / MMYOLO); the single-label default is unchanged."""
import torch

from tests._tools import load_tool
from yolo_toolbox.models.dense_heads import batched_nms
from yolo_toolbox.registry import MODELS

CFG = dict(score_thr=0.1, nms_iou_thr=0.5, max_per_img=100, nms_pre=1000)

# image 0: box A scores 0.9 cat / 0.6 dog; box B overlaps A (IoU 0.81) at 0.8 cat / 0.05 dog;
# box C elsewhere, 0.3 dog / 0.05 cat (below score_thr). image 1: box D 0.5 / 0.4.
BOXES = torch.tensor([[[0., 0., 10., 10.], [1., 1., 10., 10.], [50., 50., 60., 60.]],
                      [[0., 0., 20., 20.], [0., 0., 1., 1.], [0., 0., 1., 1.]]])
SCORES = torch.tensor([[[0.9, 0.6], [0.8, 0.05], [0.05, 0.3]],
                       [[0.5, 0.4], [0.0, 0.0], [0.0, 0.0]]])


def rows(dets):
    return [(int(d[0]), [round(float(v), 3) for v in d[1:5]], round(float(d[5]), 3), int(d[6]))
            for d in dets]


def test_multi_label_keeps_every_class_above_threshold():
    single = rows(batched_nms(BOXES, SCORES, 2, CFG))
    multi = rows(batched_nms(BOXES, SCORES, 2, dict(CFG, multi_label=True)))
    # single label: A as cat (B suppressed by A), C as dog, D as cat
    assert single == [(0, [0, 0, 10, 10], 0.9, 0), (1, [0, 0, 20, 20], 0.5, 0),
                      (0, [50, 50, 60, 60], 0.3, 1)]
    # multi label: A also as dog (0.6), D also as dog (0.4); B still suppressed by A (cat),
    # B's dog score 0.05 and C's cat score 0.05 are below score_thr
    assert multi == [(0, [0, 0, 10, 10], 0.9, 0), (0, [0, 0, 10, 10], 0.6, 1),
                     (1, [0, 0, 20, 20], 0.5, 0), (1, [0, 0, 20, 20], 0.4, 1),
                     (0, [50, 50, 60, 60], 0.3, 1)]


def test_multi_label_nms_pre_counts_pairs_and_max_per_img_holds():
    multi = rows(batched_nms(BOXES, SCORES, 2, dict(CFG, multi_label=True, nms_pre=2)))
    # the top 2 pairs of image 0 are A-cat 0.9 and B-cat 0.8 (B then suppressed)
    assert [r for r in multi if r[0] == 0] == [(0, [0, 0, 10, 10], 0.9, 0)]
    capped = rows(batched_nms(BOXES, SCORES, 2, dict(CFG, multi_label=True, max_per_img=1)))
    assert capped == [(0, [0, 0, 10, 10], 0.9, 0), (1, [0, 0, 20, 20], 0.5, 0)]


def test_yolo_head_switch_and_default():
    def head(**test_cfg):
        return MODELS.build(dict(type='YOLOHead', num_classes=2, in_channels=(8, 16, 32),
                                 assigner=dict(type='NearbyGridAssigner'),
                                 test_cfg=dict(CFG, **test_cfg)))
    assert head().test_cfg['multi_label'] is False
    torch.testing.assert_close(head().nms(BOXES, SCORES), batched_nms(BOXES, SCORES, 2, CFG))
    torch.testing.assert_close(head(multi_label=True).nms(BOXES, SCORES),
                               batched_nms(BOXES, SCORES, 2, dict(CFG, multi_label=True)))
    assert head().nms(BOXES, SCORES, dict(multi_label=True)).shape == (5, 7)


def test_test_py_flag_writes_the_config():
    tool = load_tool('tools/test.py')
    args = tool.parse_args(['configs/demo/yolo_demo_nearby.py', 'x.pth', '--multi-label'])
    cfg = tool.build_cfg(args)
    assert cfg.model.bbox_head.test_cfg.multi_label is True
    args = tool.parse_args(['configs/demo/yolo_demo_nearby.py', 'x.pth'])
    assert tool.build_cfg(args).model.bbox_head.test_cfg.multi_label is False
