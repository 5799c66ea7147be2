"""Assigner positives on hand-made cases, and the edge cases of the contract."""
import pytest
import torch

from yolo_toolbox.registry import TASK_UTILS

ANCHORS = torch.tensor([[10.0, 10.0], [40.0, 20.0], [80.0, 80.0]])



def default_coder(assigner):
    """The box coder a head builds for ``assigner`` when its config names none."""
    from yolo_toolbox.registry import TASK_UTILS as _TASK_UTILS
    return _TASK_UTILS.build(assigner.default_coder())

def build(name, **kwargs):
    return TASK_UTILS.build(dict(type=name, **kwargs))


def rows(result):
    """Set of (batch, anchor, y, x, gt) rows."""
    return set(zip(*(t.tolist() for t in result)))


def one_gt(cx, cy, w, h, batch=0):
    return (torch.tensor([[cx, cy, w, h]], dtype=torch.float32), torch.tensor([0]),
            torch.tensor([batch]))


def test_single_grid_picks_gt_cell_and_matching_anchors():
    boxes, labels, batch = one_gt(37.0, 21.0, 40.0, 20.0, batch=1)
    # shape IoUs with the anchors: 100/800=0.125, 1.0, 800/6400=0.125
    result = build('SingleGridAssigner', match_iou_thres=0.2).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    assert rows(result) == {(1, 1, 1, 2, 0)}  # cell x=floor(37/16)=2, y=floor(21/16)=1
    result = build('SingleGridAssigner', match_iou_thres=0.125 - 1e-4).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    assert rows(result) == {(1, 0, 1, 2, 0), (1, 1, 1, 2, 0), (1, 2, 1, 2, 0)}


def test_nearby_grid_covers_3x3_and_clips_at_the_map_border():
    boxes, labels, batch = one_gt(40.0, 40.0, 40.0, 20.0)
    result = build('NearbyGridAssigner', match_iou_thres=0.5).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    expected = {(0, 1, y, x, 0) for y in (1, 2, 3) for x in (1, 2, 3)}
    assert rows(result) == expected
    # centre in the top-left cell: only the 2x2 cells inside the map, no duplicates
    boxes, labels, batch = one_gt(3.0, 5.0, 40.0, 20.0)
    result = build('NearbyGridAssigner', match_iou_thres=0.5).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    assert rows(result) == {(0, 1, y, x, 0) for y in (0, 1) for x in (0, 1)}
    assert result.num_pos == 4


@pytest.mark.parametrize('name', ['SingleGridAssigner', 'NearbyGridAssigner'])
def test_centre_on_the_right_bottom_edge_belongs_to_the_last_cell(name):
    boxes, labels, batch = one_gt(128.0, 128.0, 40.0, 20.0)
    result = build(name, match_iou_thres=0.5).assign(boxes, labels, batch, ANCHORS, (8, 8), 16)
    assert (7, 7) in {(y, x) for _, _, y, x, _ in rows(result)}
    assert result.grid_y.max() <= 7 and result.grid_x.max() <= 7


def test_centre_on_a_cell_border_belongs_to_the_next_cell():
    boxes, labels, batch = one_gt(32.0, 48.0, 40.0, 20.0)
    result = build('SingleGridAssigner', match_iou_thres=0.5).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    assert rows(result) == {(0, 1, 3, 2, 0)}


def test_all_grid_uses_positions():
    # a GT exactly on the anchor box of cell (y=2, x=1) for anchor 1 (40x20)
    boxes, labels, batch = one_gt(24.0, 40.0, 40.0, 20.0)
    result = build('AllGridAssigner', match_iou_thres=0.5).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    # IoU with the same anchor one cell left/right: overlap 24x20 / (800+800-480) = 0.43
    assert rows(result) == {(0, 1, 2, 1, 0)}
    result = build('AllGridAssigner', match_iou_thres=0.4).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    assert rows(result) == {(0, 1, 2, 0, 0), (0, 1, 2, 1, 0), (0, 1, 2, 2, 0)}


def test_all_grid_threshold_is_strict():
    boxes, labels, batch = one_gt(24.0, 40.0, 40.0, 20.0)
    result = build('AllGridAssigner', match_iou_thres=1.0).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    assert result.num_pos == 0


def competing_gts():
    # two GTs in the same cell; GT 1 matches anchor 1 better (IoU 1 vs 0.5)
    boxes = torch.tensor([[40.0, 40.0, 40.0, 10.0], [41.0, 42.0, 40.0, 20.0]])
    return boxes, torch.tensor([0, 1]), torch.tensor([0, 0])


@pytest.mark.parametrize('name', ['SingleGridAssigner', 'NearbyGridAssigner',
                                  'AllGridAssigner'])
def test_filter_by_max_iou_gives_each_slot_to_the_best_gt(name):
    boxes, labels, batch = competing_gts()
    result = build(name, match_iou_thres=0.3, filter_by_max_iou=True).assign(
        boxes, labels, batch, ANCHORS, (8, 8), 16)
    slots = list(zip(result.batch_idx.tolist(), result.anchor_idx.tolist(),
                     result.grid_y.tolist(), result.grid_x.tolist()))
    assert len(slots) == len(set(slots)), 'a slot was given to two GTs'
    winners = {slot: gt for slot, gt in zip(slots, result.gt_idx.tolist())}
    assert winners[(0, 1, 2, 2)] == 1


def test_random_choice_among_competitors_is_one_per_slot_and_varies():
    boxes, labels, batch = competing_gts()
    assigner = build('SingleGridAssigner', match_iou_thres=0.3, filter_by_max_iou=False)
    winners = set()
    for seed in range(20):
        torch.manual_seed(seed)
        result = assigner.assign(boxes, labels, batch, ANCHORS, (8, 8), 16)
        assert result.num_pos == 1
        winners.add(result.gt_idx.item())
    assert winners == {0, 1}


def test_many_gts_competing_for_one_slot():
    n = 50
    widths = torch.linspace(20, 60, n)
    boxes = torch.stack([torch.full((n,), 40.0), torch.full((n,), 40.0), widths,
                         torch.full((n,), 20.0)], dim=1)
    result = build('SingleGridAssigner', match_iou_thres=0.1).assign(
        boxes, torch.zeros(n, dtype=torch.long), torch.zeros(n, dtype=torch.long), ANCHORS,
        (8, 8), 16)
    by_anchor = dict(zip(result.anchor_idx.tolist(), result.gt_idx.tolist()))
    assert result.num_pos == len(by_anchor)
    # anchor 1 is 40x20 and all GTs are 20 high: shape IoU = min(w, 40) / max(w, 40)
    iou_with_anchor1 = torch.minimum(widths, torch.tensor(40.0)) / torch.maximum(
        widths, torch.tensor(40.0))
    assert by_anchor[1] == int(torch.argmax(iou_with_anchor1))


@pytest.mark.parametrize('name', ['SingleGridAssigner', 'NearbyGridAssigner',
                                  'AllGridAssigner'])
def test_no_gt_and_unmatched_gt_give_zero_positives(name):
    assigner = build(name, match_iou_thres=0.5)
    empty = assigner.assign(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long),
                            torch.zeros(0, dtype=torch.long), ANCHORS, (8, 8), 16)
    assert empty.num_pos == 0
    tiny, labels, batch = one_gt(40.0, 40.0, 1.0, 1.0)
    assert assigner.assign(tiny, labels, batch, ANCHORS, (8, 8), 16).num_pos == 0


def test_tiny_and_huge_boxes():
    boxes = torch.tensor([[64.0, 64.0, 2.0, 2.0], [64.0, 64.0, 500.0, 500.0]])
    result = build('NearbyGridAssigner', match_iou_thres=0.01).assign(
        boxes, torch.tensor([0, 0]), torch.tensor([0, 0]), ANCHORS, (8, 8), 16)
    assert set(result.gt_idx.tolist()) == {0, 1}
    assert set(result.anchor_idx[result.gt_idx == 0].tolist()) == {0}  # 4/100 IoU
    assert set(result.anchor_idx[result.gt_idx == 1].tolist()) == {2}


def test_batched_images_are_kept_apart():
    boxes = torch.tensor([[40.0, 40.0, 40.0, 20.0]] * 3)
    result = build('SingleGridAssigner', match_iou_thres=0.5).assign(
        boxes, torch.tensor([0, 0, 0]), torch.tensor([0, 1, 2]), ANCHORS, (8, 8), 16)
    assert rows(result) == {(0, 1, 2, 2, 0), (1, 1, 2, 2, 1), (2, 1, 2, 2, 2)}


@pytest.mark.parametrize('name,low,high', [('SingleGridAssigner', 0.0, 1.0),
                                           ('NearbyGridAssigner', -1.0, 2.0),
                                           ('AllGridAssigner', -8.0, 8.0)])
def test_centre_decoding_spans_the_declared_reach(name, low, high):
    assigner = build(name)
    raw = torch.tensor([[-30.0, -30.0], [0.0, 0.0], [30.0, 30.0]])
    offset = default_coder(assigner).centre_offset(raw, (8, 8))
    assert offset[0].tolist() == pytest.approx([low, low], abs=1e-4)
    assert offset[2].tolist() == pytest.approx([high, high], abs=1e-4)
    assert offset[1].tolist() == pytest.approx([(low + high) / 2] * 2)


def test_original_decodings():
    raw = torch.linspace(-3, 3, 13)[:, None].expand(-1, 2)
    nearby = default_coder(build('NearbyGridAssigner')).centre_offset(raw, (8, 8))
    assert torch.allclose(nearby, 1.5 * raw.tanh() + 0.5, atol=1e-6)
    all_grid = default_coder(build('AllGridAssigner')).centre_offset(raw, (8, 10))
    assert torch.allclose(all_grid, raw.tanh() * torch.tensor([10.0, 8.0]), atol=1e-5)
    single = default_coder(build('SingleGridAssigner')).centre_offset(raw, (8, 8))
    assert torch.allclose(single, raw.sigmoid())


def test_all_grid_separable_iou_equals_pairwise_box_iou():
    from yolo_toolbox.models.task_modules.assigners import AllGridAssigner
    from yolo_toolbox.structures import broadcast_box_iou, cxcywh_to_xyxy
    gen = torch.Generator().manual_seed(0)
    gt = torch.cat([torch.rand(30, 2, generator=gen) * 128,
                    torch.rand(30, 2, generator=gen) * 100 + 2], dim=1)
    grid_h, grid_w, stride = 8, 10, 16
    ys, xs = torch.meshgrid((torch.arange(grid_h) + 0.5) * stride,
                            (torch.arange(grid_w) + 0.5) * stride, indexing='ij')
    anchor_boxes = torch.cat([torch.stack([xs, ys], -1)[None].expand(3, -1, -1, -1),
                              ANCHORS[:, None, None, :].expand(-1, grid_h, grid_w, -1)], -1)
    reference = broadcast_box_iou(cxcywh_to_xyxy(gt)[:, None, None, None],
                                  cxcywh_to_xyxy(anchor_boxes)[None])
    fast = AllGridAssigner.grid_iou(gt, ANCHORS, (grid_h, grid_w), stride)
    assert fast.shape == (30, 3, grid_h, grid_w)
    assert torch.allclose(fast, reference, atol=1e-6)
