"""k-means anchors and best possible recall (BPR) under an assigner's own rule."""
import pytest
import torch

from yolo_toolbox.analysis import (
    GTBatch,
    best_possible_recall,
    format_anchors,
    gt_wh,
    kmeans_anchors,
    mean_best_iou,
    split_by_scale,
)
from yolo_toolbox.registry import TASK_UTILS


def batch(rows, input_hw=(64, 64)):
    gt = torch.tensor(rows, dtype=torch.float32).reshape(-1, 6)
    num_images = int(gt[:, 0].max()) + 1 if len(gt) else 1
    return GTBatch(gt, input_hw, [{}] * num_images)


def box(img, cx, cy, w, h):
    return [img, 0, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def test_kmeans_recovers_three_separated_shapes():
    gen = torch.Generator().manual_seed(1)
    centres = torch.tensor([[10.0, 10.0], [50.0, 20.0], [30.0, 90.0]])
    wh = (centres.repeat_interleave(100, 0)
          * torch.empty(300, 2).uniform_(0.93, 1.07, generator=gen))
    anchors = kmeans_anchors(wh, 3, iters=100, seed=0)
    assert anchors.shape == (3, 2)
    assert torch.allclose(anchors, centres, rtol=0.03)  # sorted by area: small first
    assert mean_best_iou(wh, anchors) > 0.85
    # seeded: the same result again
    assert torch.equal(anchors, kmeans_anchors(wh, 3, iters=100, seed=0))


def test_kmeans_needs_enough_boxes_and_split_needs_a_multiple():
    with pytest.raises(ValueError, match='cannot make'):
        kmeans_anchors(torch.ones(2, 2), 3)
    with pytest.raises(ValueError, match='multiple of 3'):
        split_by_scale(torch.ones(8, 2), 3)
    assert split_by_scale(torch.arange(18.0).reshape(9, 2), 3)[1, 0].tolist() == [6.0, 7.0]


def test_bpr_counts_gts_with_a_positive_at_any_scale():
    single = TASK_UTILS.build(dict(type='SingleGridAssigner', match_iou_thres=0.5))
    batches = [batch([box(0, 8, 8, 16, 16),    # shape IoU 1 with the 16x16 anchor
                      box(0, 40, 40, 64, 8)])]  # 0.2 with it: no positive
    one_anchor = torch.tensor([[[16.0, 16.0]]])
    assert best_possible_recall(single, batches, one_anchor, (16, ))['bpr'] == 0.5
    two_scales = torch.tensor([[[16.0, 16.0]], [[64.0, 8.0]]])
    result = best_possible_recall(single, batches, two_scales, (16, 32))
    assert result == dict(bpr=1.0, pos_per_gt=1.0, num_gts=2)
    nearby = TASK_UTILS.build(dict(type='NearbyGridAssigner', match_iou_thres=0.5))
    # nearby: the 16x16 GT in the top-left cell gets the 2x2 cells inside the map
    assert best_possible_recall(nearby, batches, one_anchor, (16, ))['pos_per_gt'] == 2.0


def test_bpr_follows_conflict_resolution_and_images():
    single = TASK_UTILS.build(dict(type='SingleGridAssigner', match_iou_thres=0.5))
    anchors = torch.tensor([[[16.0, 16.0]]])
    same_slot = [batch([box(0, 8, 8, 16, 16), box(0, 9, 9, 15, 15)])]  # one slot, one winner
    assert best_possible_recall(single, same_slot, anchors, (16, ))['bpr'] == 0.5
    two_images = [batch([box(0, 8, 8, 16, 16), box(1, 9, 9, 15, 15)])]
    assert best_possible_recall(single, two_images, anchors, (16, ))['bpr'] == 1.0
    assert best_possible_recall(single, [batch([])], anchors, (16, ))['num_gts'] == 0


def test_gt_wh_and_snippet():
    wh = gt_wh([batch([box(0, 8, 8, 16, 12), box(0, 8, 8, 1, 30)])])
    assert wh.tolist() == [[16.0, 12.0]]  # sides < 2 px dropped
    text = format_anchors(torch.tensor([[[10.4, 13.0]], [[30.0, 61.6]]]))
    assert text.startswith('anchors = [[(10, 13)],\n           [(30, 62)]]')
    namespace = {}
    exec(text, namespace)  # a valid config snippet
    assert namespace['model'] == dict(bbox_head=dict(anchors=[[(10, 13)], [(30, 62)]]))
