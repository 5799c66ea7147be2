"""YOLOv5Assigner on hand-made cases: ratio rule, neighbour cells, conflicts, reach."""
import torch

from yolo_toolbox.registry import TASK_UTILS

ANCHORS = torch.tensor([[10.0, 10.0], [40.0, 20.0], [80.0, 80.0]])



def default_coder(assigner):
    """The box coder a head builds for ``assigner`` when its config names none."""
    from yolo_toolbox.registry import TASK_UTILS as _TASK_UTILS
    return _TASK_UTILS.build(assigner.default_coder())

def rows(result):
    return set(zip(*(t.tolist() for t in result)))


def gts(*boxes, batch=None):
    boxes = torch.tensor(boxes, dtype=torch.float32)
    batch = torch.zeros(len(boxes), dtype=torch.long) if batch is None else torch.tensor(batch)
    return boxes, torch.zeros(len(boxes), dtype=torch.long), batch


def assign(*boxes, batch=None, **kwargs):
    assigner = TASK_UTILS.build(dict(type='YOLOv5Assigner', **kwargs))
    return assigner.assign(*gts(*boxes, batch=batch), ANCHORS, (8, 8), 16)


def test_ratio_rule_is_strict_at_anchor_t():
    # GT 40x20: anchor 0 (10x10) ratios 4, 2 -> max 4; anchor 1 ratios 1, 1; anchor 2
    # (80x80) ratios 0.5, 0.25 -> max(r, 1/r) = 2, 4 -> 4.  4 < 4 is false.
    result = assign([37.0, 21.0, 40.0, 20.0])
    assert {r[1] for r in rows(result)} == {1}
    result = assign([37.0, 21.0, 40.0, 20.0], anchor_t=4.01)
    assert {r[1] for r in rows(result)} == {0, 1, 2}


def test_own_cell_and_the_two_nearest_neighbours():
    # centre (37, 21) / 16 = (2.31, 1.31): cell x 2, y 1, both in the first half of the
    # cell -> left neighbour x 1 and upper neighbour y 0
    result = assign([37.0, 21.0, 40.0, 20.0])
    assert rows(result) == {(0, 1, 1, 2, 0), (0, 1, 1, 1, 0), (0, 1, 0, 2, 0)}
    # centre (45, 29) / 16 = (2.81, 1.81): second half -> right x 3, lower y 2
    result = assign([45.0, 29.0, 40.0, 20.0])
    assert rows(result) == {(0, 1, 1, 2, 0), (0, 1, 1, 3, 0), (0, 1, 2, 2, 0)}


def test_centre_on_the_cell_middle_has_no_neighbour_and_border_clips():
    # (40, 24) / 16 = (2.5, 1.5): exactly the middle of cell (1, 2) on both axes
    assert rows(assign([40.0, 24.0, 40.0, 20.0])) == {(0, 1, 1, 2, 0)}
    # (3, 5) / 16: cell (0, 0), neighbours left and above are off the map
    assert rows(assign([3.0, 5.0, 40.0, 20.0])) == {(0, 1, 0, 0, 0)}


def test_shared_slot_goes_to_the_better_shape_match():
    # GT 0 matches anchor 1 with ratio 1; GT 1 (60x20) with ratio 1.5 (anchor 0: 6,
    # anchor 2: 4 -> no); both centres give cells (1, 2), (1, 1), (0, 2): GT 0 wins all
    result = assign([37.0, 21.0, 40.0, 20.0], [38.0, 22.0, 60.0, 20.0])
    assert rows(result) == {(0, 1, 1, 2, 0), (0, 1, 1, 1, 0), (0, 1, 0, 2, 0)}
    # in different images they do not compete
    result = assign([37.0, 21.0, 40.0, 20.0], [38.0, 22.0, 60.0, 20.0], batch=[0, 1])
    assert {r[4] for r in rows(result)} == {0, 1} and result.num_pos == 6


def test_reach_is_yolov5_decoding_and_empty_gt():
    assigner = TASK_UTILS.build(dict(type='YOLOv5Assigner'))
    raw = torch.tensor([[-30.0, 0.0], [0.0, 30.0]])
    offset = default_coder(assigner).centre_offset(raw, (8, 8))  # 2 * sigmoid - 0.5
    assert torch.allclose(offset, torch.tensor([[-0.5, 0.5], [0.5, 1.5]]))
    assert assigner.assign(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0), ANCHORS,
                           (8, 8), 16).num_pos == 0
