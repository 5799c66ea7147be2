"""ATSS, SimOTA and task-aligned assignment on hand-made cases worked out here.

Common set-up: one image, a 8x8 map of stride 16 (cell (y, x) has its centre at
(16 x + 8, 16 y + 8)), hand-placed predicted boxes (cx, cy, w, h) and scores; every other
slot predicts a 1x1 box far away (IoU 0) with score 0.
"""
import statistics

import pytest
import torch

from yolo_toolbox.models.task_modules.assigners import AssignLevel, GridAssignResult
from yolo_toolbox.registry import TASK_UTILS

FAR = (1000.0, 1000.0, 1.0, 1.0)


def iou(a, b):
    """IoU of two cx, cy, w, h boxes, in plain Python."""
    overlap = [max(0.0, min(a[i] + a[i + 2] / 2, b[i] + b[i + 2] / 2)
                   - max(a[i] - a[i + 2] / 2, b[i] - b[i + 2] / 2)) for i in (0, 1)]
    inter = overlap[0] * overlap[1]
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def rows(result):
    """Set of (batch, anchor, y, x, gt) rows."""
    return set(zip(*(t.tolist() for t in result)))


def level(anchors, grid=(8, 8), stride=16, preds=None, num_classes=2, num_images=1):
    """AssignLevel; ``preds``: {(image, anchor, y, x): (box, scores)}."""
    anchors = torch.tensor(anchors, dtype=torch.float32)
    boxes = torch.tensor(FAR).repeat(num_images, len(anchors), *grid, 1)
    scores = torch.zeros(num_images, len(anchors), *grid, num_classes)
    for slot, (box, score) in (preds or {}).items():
        boxes[slot] = torch.tensor(box)
        scores[slot] = torch.tensor(score)
    return AssignLevel(anchors, grid, stride, boxes, scores)


def run(cfg, gts, labels, levels, batch=None):
    assigner = TASK_UTILS.build(cfg)
    batch = torch.zeros(len(gts), dtype=torch.long) if batch is None else torch.tensor(batch)
    return assigner.assign_levels(torch.tensor(gts, dtype=torch.float32),
                                  torch.tensor(labels), batch, levels)


# ---------------------------------------------------------------------------- ATSS
ATSS_ANCHORS = [(16.0, 16.0), (32.0, 32.0), (48.0, 24.0)]
ATSS_GT = (46.0, 42.0, 40.0, 24.0)  # box x [26, 66], y [30, 54]


def test_atss_threshold_is_mean_plus_std_of_the_nearest_anchors():
    # centre (46, 42): distances to cell centres (40, 40) 6.3, (56, 40) 10.2, (40, 56)
    # 15.2, (56, 56) 17.2, ... -> the 9 nearest anchors are the 3 anchors of the cells
    # (2, 2), (2, 3), (3, 2)
    cells = {(2, 2): (40.0, 40.0), (2, 3): (56.0, 40.0), (3, 2): (40.0, 56.0)}
    ious = {(a, cell): iou((*centre, *ATSS_ANCHORS[a]), ATSS_GT)
            for cell, centre in cells.items() for a in range(3)}
    threshold = statistics.mean(ious.values()) + statistics.stdev(ious.values())
    assert threshold == pytest.approx(0.5634, abs=1e-4)
    # IoU >= 0.5634: anchor 1 (0.570) and 2 (0.655) at (2, 2); anchor 2 at (2, 3) has
    # 0.548; all other candidates are lower
    expected = {(0, a, y, x, 0) for (a, (y, x)), v in ious.items() if v >= threshold}
    assert expected == {(0, 1, 2, 2, 0), (0, 2, 2, 2, 0)}
    result, = run(dict(type='ATSSAssigner', topk=9), [ATSS_GT], [0], [level(ATSS_ANCHORS)])
    assert rows(result) == expected
    # the paper's quality target: centerness of (40, 40) in x [26, 66], y [30, 54]:
    # sqrt(min(14, 26) / max(14, 26) * min(10, 14) / max(10, 14)) = 0.6202, also the box weight
    centerness = (14 / 26 * 10 / 14) ** 0.5
    assert result.obj_target.tolist() == pytest.approx([centerness] * 2, abs=1e-5)
    assert result.box_weight.tolist() == pytest.approx([centerness] * 2, abs=1e-5)
    assert result.cls_target is None
    # quality=None (this toolbox's earlier rule): no declared targets
    result, = run(dict(type='ATSSAssigner', topk=9, quality=None), [ATSS_GT], [0],
                  [level(ATSS_ANCHORS)])
    assert rows(result) == expected
    assert result.obj_target is None and result.box_weight is None


def test_atss_centre_must_be_inside_the_gt():
    # with a 10-pixel margin the centre (40, 40) is not inside (top edge y=30 is 10 away)
    result, = run(dict(type='ATSSAssigner', topk=9, eps=10.0), [ATSS_GT], [0],
                  [level(ATSS_ANCHORS)])
    assert result.num_pos == 0


def test_atss_pools_the_statistics_over_scales():
    # + a stride-32 map, 4x4: centre (46, 42) / 32 is in cell (1, 1), centre (48, 48);
    # the next nearest are (0, 1) centre (48, 16) at 26.1 and (1, 0) centre (16, 48) at 30.6
    coarse_anchors = [(64.0, 64.0), (96.0, 48.0), (40.0, 24.0)]
    cells = {(0, 2, 2): (40.0, 40.0), (0, 2, 3): (56.0, 40.0), (0, 3, 2): (40.0, 56.0),
             (1, 1, 1): (48.0, 48.0), (1, 0, 1): (48.0, 16.0), (1, 1, 0): (16.0, 48.0)}
    ious = {(lvl, a, y, x): iou((*centre, *(ATSS_ANCHORS, coarse_anchors)[lvl][a]), ATSS_GT)
            for (lvl, y, x), centre in cells.items() for a in range(3)}
    threshold = statistics.mean(ious.values()) + statistics.stdev(ious.values())
    inside = {(40.0, 40.0), (56.0, 40.0), (48.0, 48.0)}  # centres inside x [26, 66], y [30, 54]
    expected = [set(), set()]
    for (lvl, a, y, x), value in ious.items():
        if value >= threshold and cells[lvl, y, x] in inside:
            expected[lvl].add((0, a, y, x, 0))
    # the coarse candidates are poorer (IoUs 0 .. 0.553), so the pooled threshold drops
    # from 0.563 to 0.473: anchor 2 at (2, 3) (0.548) becomes positive, and so does the
    # coarse anchor 2 (40x24 at (48, 48), 0.553)
    assert threshold == pytest.approx(0.4730, abs=1e-4)
    assert expected == [{(0, 1, 2, 2, 0), (0, 2, 2, 2, 0), (0, 2, 2, 3, 0)},
                        {(0, 2, 1, 1, 0)}]
    results = run(dict(type='ATSSAssigner', topk=9), [ATSS_GT], [0],
                  [level(ATSS_ANCHORS), level(coarse_anchors, grid=(4, 4), stride=32)])
    assert [rows(r) for r in results] == expected


# ---------------------------------------------------------------------------- SimOTA
GT = (40.0, 40.0, 64.0, 64.0)  # box [8, 72] x [8, 72]; centre in cell (2, 2)


def shifted(dx=0.0, dy=0.0):
    return (GT[0] + dx, GT[1] + dy, GT[2], GT[3])


def simota_preds(score_up=0.25):
    # IoU with the GT: (2, 2) 1; (2, 3) and (1, 2) shifted by 8 px: 56 / 72 = 0.778;
    # (2, 1) shifted by 24: 40 / 88 = 0.455.  Class-0 scores 0.25 (sqrt 0.5)
    return {(0, 0, 2, 2): (shifted(), (0.25, 0.0)),
            (0, 0, 2, 3): (shifted(dx=8), (0.25, 0.0)),
            (0, 0, 1, 2): (shifted(dy=-8), (score_up, 0.0)),
            (0, 0, 2, 1): (shifted(dx=-24), (0.25, 0.0))}


def test_simota_dynamic_k_and_lowest_cost():
    assert iou(shifted(dx=8), GT) == pytest.approx(0.7778, abs=1e-4)
    assert iou(shifted(dx=-24), GT) == pytest.approx(0.4545, abs=1e-4)
    # candidates: the 3x3 cells around (2, 2) (centre within 1.5 cells), all inside the
    # box.  dynamic k = int(1 + 0.778 + 0.778 + 0.455) = 3.  Costs (cls + 3 * -log IoU):
    # (2, 2) 0.693 + 0; (2, 3), (1, 2) 0.693 + 0.754; (2, 1) 0.693 + 2.365; rest > 100
    cfg = dict(type='SimOTAAssigner', center_radius=1.5)
    result, = run(cfg, [GT], [0], [level([(32.0, 32.0)], preds=simota_preds())])
    assert rows(result) == {(0, 0, 2, 2, 0), (0, 0, 2, 3, 0), (0, 0, 1, 2, 0)}
    # the class cost counts: score 1e-4 at (1, 2) (sqrt 0.01) costs 4.605 + 0.754 = 5.36,
    # more than (2, 1)'s 3.06 -> (2, 1) replaces it; soft targets = IoUs
    result, = run(cfg, [GT], [0], [level([(32.0, 32.0)], preds=simota_preds(1e-4))])
    assert rows(result) == {(0, 0, 2, 2, 0), (0, 0, 2, 3, 0), (0, 0, 2, 1, 0)}
    # YOLOX's targets: the IoU as class target, objectness 1
    target = dict(zip(zip(result.grid_y.tolist(), result.grid_x.tolist()),
                      result.cls_target.tolist()))
    assert target == pytest.approx({(2, 2): 1.0, (2, 3): 56 / 72, (2, 1): 40 / 88}, abs=1e-5)
    assert result.obj_target.tolist() == [1.0, 1.0, 1.0] and result.box_weight is None
    # soft_target='obj' (earlier rule): the IoU as objectness target, one-hot classes
    result, = run({**cfg, 'soft_target': 'obj'}, [GT], [0],
                  [level([(32.0, 32.0)], preds=simota_preds(1e-4))])
    assert sorted(result.obj_target.tolist()) == pytest.approx(sorted(target.values()))
    assert result.cls_target is None


def test_simota_one_gt_per_slot_by_lowest_cost():
    # GT 1: the same box, class 1, whose score is 0 everywhere: its class cost is ~100.7
    # at every slot (BCE(0, 1) clamped at 100), a bit lower at (1, 2) (class-0 score 1e-4)
    # -> its 3 lowest: (2, 2), (1, 2), (2, 3). GT 0 (cost < 4) keeps (2, 2) and (2, 3).
    results = run(dict(type='SimOTAAssigner', center_radius=1.5), [GT, GT], [0, 1],
                  [level([(32.0, 32.0)], preds=simota_preds(1e-4))])
    assert rows(results[0]) == {(0, 0, 2, 2, 0), (0, 0, 2, 3, 0), (0, 0, 2, 1, 0),
                                (0, 0, 1, 2, 1)}


def test_simota_reach_anywhere_by_default_bounded_with_the_window_switches():
    assigner = TASK_UTILS.build(dict(type='SimOTAAssigner'))
    assert assigner.reach is None and assigner.uses_predictions and assigner.multi_level
    assert assigner.default_coder()['type'] == 'YOLOXBBoxCoder'
    window = TASK_UTILS.build(dict(type='SimOTAAssigner', candidates='centre',
                                   candidate_pool='own', conflict='picking_gts'))
    assert window.reach == (-2.0, 3.0)
    with pytest.raises(ValueError, match='picking_gts'):
        TASK_UTILS.build(dict(type='SimOTAAssigner', candidates='centre', candidate_pool='own'))
    with pytest.raises(TypeError, match='assign_levels'):
        assigner.assign(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0), torch.ones(1, 2),
                        (8, 8), 16)


# ---------------------------------------------------------------------------- TAL
def test_tal_top_k_of_the_alignment_and_normalised_targets():
    preds = {(0, 0, 2, 2): (shifted(), (0.5, 0.0)),  # t = 0.5 * 1 ** 6 = 0.5
             (0, 0, 2, 3): (shifted(dx=8), (0.9, 0.0)),  # 0.9 * 0.778 ** 6 = 0.199
             (0, 0, 1, 2): (shifted(dy=-8), (0.2, 0.0)),  # 0.2 * 0.778 ** 6 = 0.044
             (0, 0, 2, 1): (shifted(dx=-24), (1.0, 0.0)),  # 0.455 ** 6 = 0.009
             # perfect, but the cell centre (40, 8) is on the GT's edge: not a candidate
             (0, 0, 0, 2): (shifted(), (1.0, 0.0)),
             # image 1, GT 1: max IoU 0.778 and max alignment 0.5 * 0.778 ** 6 = 0.111
             (1, 0, 2, 2): (shifted(dx=8), (0.5, 0.0)),
             (1, 0, 2, 3): (shifted(dx=-24), (1.0, 0.0))}
    cfg = dict(type='TaskAlignedAssigner', topk=2, alpha=1.0, beta=6.0, iou_type='iou')
    result, = run(cfg, [GT, GT], [0, 0],
                  [level([(32.0, 32.0)], preds=preds, num_images=2)], batch=[0, 1])
    assert rows(result) == {(0, 0, 2, 2, 0), (0, 0, 2, 3, 0), (1, 0, 2, 2, 1), (1, 0, 2, 3, 1)}
    target = dict(zip(zip(result.batch_idx.tolist(), result.grid_x.tolist()),
                      result.cls_target.tolist()))
    assert result.box_weight.tolist() == result.cls_target.tolist()  # YOLOv8's weighting
    assert result.obj_target.tolist() == [1.0] * 4
    iou_8, iou_24 = 56 / 72, 40 / 88
    align_1 = 0.5 * iou_8 ** 6
    assert target == pytest.approx({
        (0, 2): 1.0, (0, 3): 0.9 * iou_8 ** 6 / 0.5 * 1.0,  # t / max t * max IoU
        (1, 2): iou_8, (1, 3): iou_24 ** 6 / align_1 * iou_8}, abs=1e-5)


def test_tal_chooses_across_scales():
    # stride 32, 4x4: cell (1, 1) centre (48, 48) is inside the GT; its perfect box with
    # score 1 (t = 1) beats every stride-16 slot but (2, 2) (t = 0.5): top-2 = one of each
    fine = level([(32.0, 32.0)], preds={(0, 0, 2, 2): (shifted(), (0.5, 0.0)),
                                        (0, 0, 2, 3): (shifted(dx=8), (0.9, 0.0))})
    coarse = level([(64.0, 64.0)], grid=(4, 4), stride=32,
                   preds={(0, 0, 1, 1): (shifted(), (1.0, 0.0))})
    results = run(dict(type='TaskAlignedAssigner', topk=2, alpha=1.0, iou_type='iou'), [GT],
                  [0], [fine, coarse])
    assert [rows(r) for r in results] == [{(0, 0, 2, 2, 0)}, {(0, 0, 1, 1, 0)}]
    assert results[1].cls_target.tolist() == pytest.approx([1.0])
    assert results[0].cls_target.tolist() == pytest.approx([0.5])
    # YOLOv8's defaults (alpha 0.5, CIoU: 1 for the perfect boxes): t = sqrt(0.5) at (2, 2)
    results = run(dict(type='TaskAlignedAssigner', topk=2), [GT], [0], [fine, coarse])
    assert [rows(r) for r in results] == [{(0, 0, 2, 2, 0)}, {(0, 0, 1, 1, 0)}]
    assert results[0].cls_target.tolist() == pytest.approx([0.5 ** 0.5], abs=1e-5)


def three_gt_conflict():
    """One image, 8x8 map of stride 16, one anchor. Slot S (3, 3), centre (56, 56),
    predicts P = (56, 56, 32, 32) with class scores (0.5, 0.5); slot T (2, 2) predicts
    GT 3's box with scores (0, 1). GT 1 (class 0) = (56, 56, 48, 48): IoU(P) 0.444;
    GT 2 (class 0) = (56, 56, 40, 40): 0.64; GT 3 (class 1) = (56, 56, 34, 34): 0.886.
    All three boxes hold the centres of the cells (2..4, 2..4)."""
    gts = [(56.0, 56.0, 48.0, 48.0), (56.0, 56.0, 40.0, 40.0), (56.0, 56.0, 34.0, 34.0)]
    preds = {(0, 0, 3, 3): ((56.0, 56.0, 32.0, 32.0), (0.5, 0.5)),
             (0, 0, 2, 2): (gts[2], (0.0, 1.0))}
    return gts, [0, 0, 1], [level([(32.0, 32.0)], preds=preds)]


def test_tal_contested_slot_goes_to_the_highest_overlap_among_all_gts():
    # top-1 with alpha = beta = 1: GT 1 picks S (0.5 * 0.444; T has class-0 score 0),
    # GT 2 picks S (0.5 * 0.64), GT 3 picks T (1 * 1 > 0.5 * 0.886 at S). S is contested:
    # YOLOv8 gives it to the highest overlap among all GTs of the image: GT 3 (0.886),
    # which did not pick it. Targets of GT 3: t / max t * max IoU = 1 at T, 0.443 at S.
    gts, labels, levels = three_gt_conflict()
    cfg = dict(type='TaskAlignedAssigner', topk=1, alpha=1.0, beta=1.0, iou_type='iou')
    result, = run(cfg, gts, labels, levels)
    assert rows(result) == {(0, 0, 3, 3, 2), (0, 0, 2, 2, 2)}
    target = dict(zip(result.grid_x.tolist(), result.cls_target.tolist()))
    assert target == pytest.approx({2: 1.0, 3: 0.5 * 1024 / 1156}, abs=1e-5)
    # conflict='picking_gts' (TOOD in MMDetection, this toolbox's earlier rule): the best
    # of the GTs that picked it, GT 2
    result, = run({**cfg, 'conflict': 'picking_gts'}, gts, labels, levels)
    assert rows(result) == {(0, 0, 3, 3, 1), (0, 0, 2, 2, 2)}


def test_simota_contested_slot_goes_to_the_lowest_cost_among_all_gts():
    # cost of S: cls BCE(sqrt 0.5) terms + 3 * -log IoU: GT 3's is the lowest (IoU 0.886);
    # with dynamic k 1 each (top IoUs < 2 in sum: 0.444 / 0.64 / 0.886 + T's for GT 3),
    # GT 1 and GT 2 pick S, GT 3 picks T (IoU 1); S goes to GT 3 under YOLOX's rule
    gts, labels, levels = three_gt_conflict()
    cfg = dict(type='SimOTAAssigner', center_radius=2.5)
    result, = run(cfg, gts, labels, levels)
    assert rows(result) == {(0, 0, 3, 3, 2), (0, 0, 2, 2, 2)}
    result, = run({**cfg, 'conflict': 'picking_gts'}, gts, labels, levels)
    assert rows(result) == {(0, 0, 3, 3, 1), (0, 0, 2, 2, 2)}


def test_tal_candidates_anywhere_in_the_box_and_no_zero_alignment_positives():
    # a 112-px GT centred at (64, 64): the cell (6, 6), centre (104, 104), is 2.5 cells
    # from the centre, outside the old window of 2.5 cells, inside the box
    gt = (64.0, 64.0, 112.0, 112.0)
    preds = {(0, 0, 6, 6): (gt, (1.0, 0.0))}
    levels = [level([(32.0, 32.0)], preds=preds)]
    result, = run(dict(type='TaskAlignedAssigner'), [gt], [0], levels)
    # the only candidate with a non-zero alignment; the 9 other top-k slots (predicted
    # boxes far away, alignment 0) are not positives
    assert rows(result) == {(0, 0, 6, 6, 0)}
    result, = run(dict(type='TaskAlignedAssigner', center_radius=2.5, conflict='picking_gts'),
                  [gt], [0], levels)
    assert (0, 0, 6, 6, 0) not in rows(result)
    # keep_zero_alignment=True (earlier rule): the top-10 become positives
    result, = run(dict(type='TaskAlignedAssigner', keep_zero_alignment=True), [gt], [0], levels)
    assert result.num_pos == 10


@pytest.mark.parametrize('name', ['ATSSAssigner', 'SimOTAAssigner', 'TaskAlignedAssigner'])
def test_empty_gt_and_result_unpacks_as_five(name):
    results = run(dict(type=name), torch.zeros(0, 4).tolist(), [], [level([(32.0, 32.0)])])
    assert len(results) == 1 and results[0].num_pos == 0
    assert len(tuple(results[0])) == 5
    assert isinstance(results[0], GridAssignResult)
