"""Assignment statistics on hand-made GT, counted by hand for each seed assigner.

Input 128 x 128, strides 16 / 32 (grids 8x8 and 4x4), two anchors per scale, shape-IoU
threshold 0.2, conflicts resolved by max IoU. Image 0: GT a (0, 0, 16, 16) and GT b
(16, 1, 32, 15), both small, in neighbouring stride-16 cells and the same stride-32
cell. Image 1: GT c (20, 20, 60, 60) medium and GT d (14, 14, 114, 114) large.
"""
import math

import numpy as np
import pytest
import torch

from yolo_toolbox.analysis import (
    AssignmentStats,
    assign_scales,
    count_contested,
    grid_sizes,
    size_bucket,
)
from yolo_toolbox.models.task_modules.assigners import BaseGridAssigner, GridAssignResult
from yolo_toolbox.registry import TASK_UTILS

INPUT_HW = (128, 128)
STRIDES = (16, 32)
ANCHORS = torch.tensor([[[16.0, 16.0], [32.0, 8.0]], [[32.0, 32.0], [64.0, 64.0]]])
GT = torch.tensor([[0, 0, 0, 0, 16, 16],      # a
                   [0, 1, 16, 1, 32, 15],     # b
                   [1, 2, 20, 20, 60, 60],    # c
                   [1, 3, 14, 14, 114, 114]],  # d
                  dtype=torch.float32)

# per assigner: positives of a, b, c, d at stride 16 and 32; candidates and contested
# slots at stride 16 and 32 (worked out in the comments of each case)
EXPECTED = {
    # s16: a, b each 2 anchors in their own cell; c, d match no anchor (IoU 0.16).
    # s32: a and b both claim (img 0, anchor 0, cell 0, 0): a wins (IoU 0.25 > 0.219);
    # c: both anchors, d: anchor 1, different cells.
    'SingleGridAssigner': dict(pos=[[2, 2, 0, 0], [1, 0, 2, 1]], cand=[4, 5], contested=[0, 1]),
    # s16: a 4 cells x 2 anchors, b 6 cells x 2 anchors; the 4 shared cells are won by
    # a for anchor 0 (IoU 1 > 0.875) and by b for anchor 1 (0.364 > 0.333).
    # s32: a, b 4 cells of anchor 0, all won by a; c 9 cells x 2 anchors, d 9 cells x
    # anchor 1, 4 shared (anchor 1) cells won by d (0.41 > 0.39).
    'NearbyGridAssigner': dict(pos=[[4, 8, 0, 0], [4, 0, 14, 9]], cand=[20, 35],
                               contested=[8, 8]),
    # full IoU of the anchor box centred on each cell. s16: a, b both anchors in their
    # own cell only. s32: a, b anchor 0 in cell (0, 0), a wins; c anchor 0 at (1, 1) and
    # anchor 1 at (1, 1), (0, 1), (1, 0); d anchor 1 at (1..2, 1..2); (1, 1) won by d.
    'AllGridAssigner': dict(pos=[[2, 2, 0, 0], [1, 0, 3, 4]], cand=[4, 10], contested=[0, 2]),
}


def run_stats(name, filter_by_max_iou=True):
    assigner = TASK_UTILS.build(dict(type=name, match_iou_thres=0.2,
                                     filter_by_max_iou=filter_by_max_iou))
    results, candidates = assign_scales(assigner, GT, INPUT_HW, ANCHORS, STRIDES, record=True)
    stats = AssignmentStats(STRIDES)
    # the same batch twice: counts add up, shares and means stay
    for _ in range(2):
        stats.update(GT, results, candidates, 2, ANCHORS.shape[1], grid_sizes(INPUT_HW, STRIDES))
    return {row['scale']: row for row in stats.summary(name)}


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_counts_per_scale(name):
    rows = run_stats(name)
    expected = EXPECTED[name]
    assert list(rows) == ['s16', 's32', 'all']
    for level, scale in enumerate(['s16', 's32']):
        pos = np.array(expected['pos'][level])
        row = rows[scale]
        assert row['num_gts'] == 8 and row['num_images'] == 4
        assert row['num_pos'] == 2 * pos.sum()
        assert row['pos_per_gt'] == pytest.approx(pos.mean())
        assert row['zero_pos'] == pytest.approx((pos == 0).mean())
        assert row['candidates'] == 2 * expected['cand'][level]
        assert row['contested_slots'] == 2 * expected['contested'][level]
        assert row['dropped'] == 2 * (expected['cand'][level] - pos.sum())


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_all_scales_histogram_and_sizes(name):
    total = np.array(EXPECTED[name]['pos']).sum(0)  # a, b, c, d over both scales
    row = run_stats(name)['all']
    assert row['pos_per_gt'] == pytest.approx(total.mean())
    assert row['zero_pos'] == 0.0
    buckets = np.searchsorted([0, 1, 2, 3, 6, 11], total, side='right') - 1
    for i, label in enumerate(['0', '1', '2', '3-5', '6-10', '>10']):
        assert row[f'hist_{label}'] == pytest.approx((buckets == i).mean()), label
    assert (row['num_small'], row['num_medium'], row['num_large']) == (4, 2, 2)
    assert row['pos_per_gt_small'] == pytest.approx(total[:2].mean())
    assert row['pos_per_gt_medium'] == pytest.approx(total[2])
    assert row['pos_per_gt_large'] == pytest.approx(total[3])
    assert row['contested_slots'] == 2 * sum(EXPECTED[name]['contested'])


def test_expected_histograms_by_hand():
    """The buckets spelled out once, so the parametrised test cannot drift with them."""
    single, nearby, all_grid = (run_stats(n)['all'] for n in
                                ('SingleGridAssigner', 'NearbyGridAssigner', 'AllGridAssigner'))
    assert (single['hist_1'], single['hist_2'], single['hist_3-5']) == (0.25, 0.5, 0.25)
    assert (nearby['hist_6-10'], nearby['hist_>10']) == (0.75, 0.25)
    assert (all_grid['hist_2'], all_grid['hist_3-5']) == (0.25, 0.75)


def test_contested_slots_do_not_depend_on_the_conflict_rule():
    by_max = run_stats('NearbyGridAssigner', filter_by_max_iou=True)['all']
    random = run_stats('NearbyGridAssigner', filter_by_max_iou=False)['all']
    assert random['contested_slots'] == by_max['contested_slots'] == 32
    assert random['num_pos'] == by_max['num_pos']  # one GT per contested slot either way


def test_zero_positive_gt_and_empty_batch():
    stats = AssignmentStats((16, ))
    big = torch.tensor([[0, 0, 0, 0, 120, 120]], dtype=torch.float32)
    assigner = TASK_UTILS.build(dict(type='SingleGridAssigner', match_iou_thres=0.5))
    anchors = ANCHORS[:1]
    for gt, num_images in ((big, 1), (torch.zeros((0, 6)), 3)):
        results, cands = assign_scales(assigner, gt, INPUT_HW, anchors, (16, ), record=True)
        stats.update(gt, results, cands, num_images, 2, grid_sizes(INPUT_HW, (16, )))
    row = stats.summary('single')[-1]
    assert (row['num_images'], row['num_gts'], row['zero_pos'], row['hist_0']) == (4, 1, 1, 1)
    assert row['num_large'] == 1 and row['candidates'] == 0


def test_assigner_without_select_is_not_measured():
    class NoSelect(BaseGridAssigner):  # resolves its conflicts without select()
        def assign(self, gt_boxes, gt_labels, batch_idx, anchors, grid_size, stride):
            one = torch.zeros(1, dtype=torch.long)
            return GridAssignResult(one, one, one, one, one)

    results, candidates = assign_scales(NoSelect(), GT, INPUT_HW, ANCHORS, STRIDES, record=True)
    assert candidates == [None, None]
    stats = AssignmentStats(STRIDES)
    stats.update(GT, results, candidates, 2, 2, grid_sizes(INPUT_HW, STRIDES))
    row = stats.summary()[-1]
    assert math.isnan(row['contested_slots']) and row['num_pos'] == 2


def test_recording_leaves_the_assigner_unchanged():
    assigner = TASK_UTILS.build(dict(type='NearbyGridAssigner', match_iou_thres=0.2))
    plain, _ = assign_scales(assigner, GT, INPUT_HW, ANCHORS, STRIDES)
    recorded, _ = assign_scales(assigner, GT, INPUT_HW, ANCHORS, STRIDES, record=True)
    assert 'select' not in vars(assigner)
    for a, b in zip(plain, recorded):
        assert all(torch.equal(x, y) for x, y in zip(a, b))


def test_count_contested_and_size_bucket():
    cands = tuple(torch.tensor(v) for v in ([0, 0, 0, 1], [0, 0, 0, 0], [1, 1, 1, 1],
                                            [2, 2, 2, 2], [0, 1, 1, 2]))
    # slots: (0,0,1,2) claimed by GT 0 and GT 1 (GT 1 twice), (1,0,1,2) by GT 2
    assert count_contested(cands, 2, (4, 4), 3) == (3, 1)
    areas = torch.tensor([0.0, 1023.0, 1024.0, 9215.0, 9216.0])
    assert size_bucket(areas).tolist() == [0, 0, 1, 1, 2]


def test_out_of_reach_flags_an_assigner_whose_reach_is_too_small():
    for name in EXPECTED:
        assert run_stats(name)['all']['out_of_reach'] == 0
    assigner = TASK_UTILS.build(dict(type='NearbyGridAssigner', match_iou_thres=0.2))
    results, _ = assign_scales(assigner, GT, INPUT_HW, ANCHORS, STRIDES)
    narrow = AssignmentStats(STRIDES, reach=(0.0, 1.0))  # as if it declared single-grid reach
    narrow.update(GT, results, None, 2, 2, grid_sizes(INPUT_HW, STRIDES))
    rows = {row['scale']: row for row in narrow.summary()}
    # s16: a keeps 1 of 4 in its own cell, b 1 of 8. s32: a 1 of 4; c 1 of 14; d's centre
    # is the corner of 4 cells (offsets 0 or 1, inside [0, 1]): 4 of 9
    assert (rows['s16']['out_of_reach'], rows['s32']['out_of_reach']) == (3 + 7, 3 + 13 + 5)


def test_multi_level_assigner_goes_through_assign_levels():
    """ATSS chooses across scales without predictions: the tools run it through
    ``assign_levels`` and get exactly what the head gets; candidates are not recorded."""
    from yolo_toolbox.models.task_modules.assigners import AssignLevel
    from yolo_toolbox.structures import xyxy_to_cxcywh
    assigner = TASK_UTILS.build(dict(type='ATSSAssigner'))
    results, candidates = assign_scales(assigner, GT, INPUT_HW, ANCHORS, STRIDES, record=True)
    levels = [AssignLevel(ANCHORS[i], size, STRIDES[i])
              for i, size in enumerate(grid_sizes(INPUT_HW, STRIDES))]
    direct = assigner.assign_levels(xyxy_to_cxcywh(GT[:, 2:6]), GT[:, 1].long(),
                                    GT[:, 0].long(), levels)
    assert candidates == [None, None]
    assert sum(r.num_pos for r in results) > 0
    for got, want in zip(results, direct):
        for a, b in zip(got, want):
            assert torch.equal(a, b)


def test_assigner_that_needs_predictions_is_refused_clearly():
    assigner = TASK_UTILS.build(dict(type='SimOTAAssigner'))
    with pytest.raises(ValueError, match="network's predictions"):
        assign_scales(assigner, GT, INPUT_HW, ANCHORS, STRIDES)
