"""DistancePointBBoxCoder: hand-worked decode, DFL targets, settings in state dicts."""
import pytest
import torch

from yolo_toolbox.models.task_modules.coders import CoderMismatchError
from yolo_toolbox.models.task_modules.coders.base_bbox_coder import decode_settings
from yolo_toolbox.registry import TASK_UTILS


def build(reg_max=4):
    return TASK_UTILS.build(dict(type='DistancePointBBoxCoder', reg_max=reg_max))


def logits_for(probs):
    """(4, R) side probabilities -> (4 * R,) logits whose softmax gives them."""
    return torch.tensor(probs, dtype=torch.float32).log().reshape(-1)


# l = 1, t = 2, r = 3 cells exactly; b = 0.5 cell (half on bin 0, half on bin 1)
PROBS = [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0.5, 0.5, 0, 0]]


def test_hand_worked_decode():
    coder = build()
    assert coder.num_raw == 16 and coder.reach is None and coder.covers((-5.0, 5.0))
    # cell (column 2, row 1) at stride 8: anchor point (20, 12)
    box = coder.decode(logits_for(PROBS), torch.tensor([2.0, 1.0]), torch.tensor([8.0, 8.0]),
                       8, (4, 4))
    # x1 = 20 - 8, x2 = 20 + 24, y1 = 12 - 16, y2 = 12 + 4
    assert box.tolist() == pytest.approx([28.0, 6.0, 32.0, 20.0])


def test_expectation_between_bins():
    coder = build()
    probs = [[0.1, 0.6, 0.2, 0.1]] * 4  # 0.6 + 0.4 + 0.3 = 1.3 cells
    assert coder.distances(logits_for(probs)).tolist() == pytest.approx([1.3] * 4)


def test_target_distances_invert_decode_and_clamp():
    coder = build()
    grid_xy = torch.tensor([2.0, 1.0])
    target = coder.target_distances(torch.tensor([28.0, 6.0, 32.0, 20.0]), grid_xy, 8)
    assert target.tolist() == pytest.approx([1.0, 2.0, 3.0 - 0.01, 0.5])  # r at the cap
    # sides beyond reg_max - 1 cells and a point outside the box clamp to [0, 2.99]
    far = coder.target_distances(torch.tensor([100.0, 12.0, 40.0, 400.0]), grid_xy, 8)
    assert far.tolist() == pytest.approx([0.0, 2.99, 2.99, 2.99])


def test_batched_shapes():
    coder = build(16)
    raw = torch.randn(2, 1, 5, 6, 64)
    ys, xs = torch.meshgrid(torch.arange(5), torch.arange(6), indexing='ij')
    boxes = coder.decode(raw, torch.stack([xs, ys], -1).float(), None, 16, (5, 6))
    assert boxes.shape == (2, 1, 5, 6, 4) and (boxes[..., 2:] >= 0).all()


def test_settings_travel_in_state_dicts():
    coder = build(16)
    state = coder.state_dict()
    assert decode_settings(state['coder_settings']) == dict(type='DistancePointBBoxCoder',
                                                            reg_max=16)
    build(16).load_state_dict(state)
    with pytest.raises(CoderMismatchError, match='reg_max'):
        build(8).load_state_dict(state)
    with pytest.raises(ValueError):
        build(1)


def test_matches_ultralytics_decode_when_installed():
    tal = pytest.importorskip('ultralytics.utils.tal')
    coder = build(16)
    raw = torch.randn(7, 64)
    grid_xy = torch.randint(0, 10, (7, 2)).float()
    ours = coder.decode(raw, grid_xy, None, 16, (10, 10))
    dist = raw.view(7, 4, 16).softmax(-1) @ torch.arange(16.0)
    theirs = tal.dist2bbox(dist, grid_xy + 0.5, xywh=True) * 16
    assert torch.allclose(ours, theirs, atol=1e-4)
    target_xyxy = tal.dist2bbox(dist, grid_xy + 0.5, xywh=False)  # grid units
    ref = tal.bbox2dist(grid_xy + 0.5, target_xyxy, 15)
    ref = ref.clamp(0, 15 - 0.01)
    assert torch.allclose(coder.target_distances(ours, grid_xy, 16), ref, atol=1e-4)
