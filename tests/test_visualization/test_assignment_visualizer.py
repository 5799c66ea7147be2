"""draw_assignment: output size, GT colours, anchors and scales of any count."""
import numpy as np
import pytest
import torch

from yolo_toolbox.analysis import assign_scales, result_for_image
from yolo_toolbox.models.task_modules.assigners import GridAssignResult
from yolo_toolbox.registry import TASK_UTILS
from yolo_toolbox.visualization import draw_assignment, gt_colours

ANCHORS = np.array([[[16, 16], [32, 8]], [[32, 32], [64, 64]]], dtype=np.float32)


def colour_pixels(image, rgb):
    return int((np.abs(image.astype(int) - np.array(rgb)).sum(-1) <= 6).sum())


def test_size_and_gt_colours():
    image = np.full((64, 96, 3), 128, dtype=np.uint8)  # H 64, W 96
    gt = np.array([[4, 4, 40, 30], [50, 20, 90, 60]], dtype=np.float32)
    gt_rows = torch.cat([torch.zeros(2, 1), torch.tensor([[0.0], [1.0]]), torch.from_numpy(gt)],
                        dim=1)
    assigner = TASK_UTILS.build(dict(type='NearbyGridAssigner', match_iou_thres=0.1))
    results, _ = assign_scales(assigner, gt_rows, (64, 96), torch.from_numpy(ANCHORS), (16, 32))
    per_image = [result_for_image(r, 0, gt_rows[:, 0].long()) for r in results]
    drawn = draw_assignment(image, gt, np.array([0, 1]), per_image, ANCHORS, (16, 32),
                            ('cat', 'dog'), title='nearby', panel_px=192)
    zoom = 192 / 96
    assert drawn.dtype == np.uint8
    assert drawn.shape == (round(64 * zoom) + 80, 2 * round(96 * zoom), 3)
    first, second = gt_colours(2)
    assert first != second
    assert colour_pixels(drawn, first) > 100 and colour_pixels(drawn, second) > 100
    # without positives the GT is still drawn
    empty = [GridAssignResult.empty(torch.device('cpu'))] * 2
    plain = draw_assignment(image, gt[:1], np.array([0]), empty, ANCHORS, (16, 32),
                            panel_px=192, anchor_outlines='none')
    assert colour_pixels(plain, first) > 50 and colour_pixels(plain, second) == 0


def test_one_scale_many_anchors_and_bad_option():
    image = np.zeros((32, 32, 3), dtype=np.uint8)
    result = (np.zeros(5), np.arange(5), np.zeros(5), np.arange(5) % 2, np.zeros(5))
    anchors = np.tile(np.array([[8.0, 8.0]]), (5, 1))[None]
    drawn = draw_assignment(image, np.array([[0, 0, 16, 16]]), np.array([3]), [result],
                            anchors, (16, ), panel_px=64, anchor_outlines='all')
    assert drawn.shape == (64 + 80, 64, 3)
    with pytest.raises(ValueError, match='anchor_outlines'):
        draw_assignment(image, np.zeros((0, 4)), np.zeros(0), [result], anchors, (16, ),
                        anchor_outlines='some')
