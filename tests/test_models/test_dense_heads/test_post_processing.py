"""post_processing: the shared NMS / rescale give what YOLOHead's own methods give (until
YOLOHead calls them), and the mixin gives a head the interface TTA and export use."""
import torch

from yolo_toolbox.models.dense_heads import PostProcessMixin, batched_nms, rescale_boxes
from yolo_toolbox.registry import MODELS


def random_boxes(batch=2, num=300, classes=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(batch, num, 2, generator=gen) * 100
    wh = torch.rand(batch, num, 2, generator=gen) * 40 + 1
    return torch.cat([xy, xy + wh], -1), torch.rand(batch, num, classes, generator=gen)


def test_same_as_yolo_head():
    head = MODELS.build(dict(type='YOLOHead', num_classes=3, in_channels=(8, 16, 32),
                             test_cfg=dict(max_per_img=20, nms_pre=200, score_thr=0.05)))
    boxes, scores = random_boxes()
    expected = head.nms(boxes, scores)
    torch.testing.assert_close(batched_nms(boxes, scores, 3, head.test_cfg), expected)
    meta = dict(pad_param=(4, 4, 2, 2), scale_factor=(0.5, 0.25), ori_shape=(200, 120))
    torch.testing.assert_close(rescale_boxes(expected[:, 1:5].clone(), meta),
                               head.rescale_boxes(expected[:, 1:5].clone(), meta))


def test_mixin_interface():
    class Head(PostProcessMixin):
        num_classes = 3
        test_cfg = dict(score_thr=0.5, nms_iou_thr=0.5, max_per_img=5, nms_pre=100)

    boxes, scores = random_boxes()
    results = Head().predict_from_boxes(boxes, scores, [dict(), dict(ori_shape=(50, 50))])
    assert len(results) == 2 and all(len(r.bboxes) <= 5 for r in results)
    assert (results[1].bboxes <= 50).all() and (results[0].scores > 0.5).all()
    assert Head().nms(boxes, scores, dict(max_per_img=1)).shape == (2, 7)
