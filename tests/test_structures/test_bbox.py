"""yolo_toolbox.structures.bbox: box formats and the IoU family, on boxes small enough to
work out by hand."""
import math

import pytest
import torch

from yolo_toolbox.structures import (
    aligned_box_iou,
    box_area,
    broadcast_box_iou,
    cxcywh_to_xyxy,
    shape_iou,
    xyxy_to_cxcywh,
)

A = torch.tensor([0.0, 0.0, 2.0, 2.0])   # 2 x 2 at the origin
B = torch.tensor([1.0, 1.0, 3.0, 3.0])   # A moved by (1, 1): overlap 1, union 7
C = torch.tensor([1.0, 0.0, 3.0, 2.0])   # A moved by (1, 0): overlap 2, union 6
D = torch.tensor([2.0, 0.0, 3.0, 1.0])   # touches A's right edge: overlap 0


def test_format_conversions_are_inverse_and_keep_leading_dims():
    cxcywh = torch.tensor([[[10.0, 20.0, 4.0, 6.0], [0.5, 0.5, 1.0, 3.0]]])  # (1, 2, 4)
    xyxy = cxcywh_to_xyxy(cxcywh)
    assert xyxy.shape == (1, 2, 4)
    assert xyxy.tolist() == [[[8.0, 17.0, 12.0, 23.0], [0.0, -1.0, 1.0, 2.0]]]
    assert torch.equal(xyxy_to_cxcywh(xyxy), cxcywh)


def test_box_area_counts_inverted_boxes_as_empty():
    boxes = torch.tensor([[0.0, 0.0, 2.0, 3.0], [5.0, 5.0, 4.0, 9.0], [1.0, 1.0, 1.0, 4.0]])
    assert box_area(boxes).tolist() == [6.0, 0.0, 0.0]


def test_box_iou_hand_values_and_broadcast_matrix():
    assert broadcast_box_iou(A, B).item() == pytest.approx(1 / 7)
    assert broadcast_box_iou(A, C).item() == pytest.approx(2 / 6)
    assert broadcast_box_iou(A, D).item() == 0.0
    assert broadcast_box_iou(A, A).item() == pytest.approx(1.0)
    boxes1, boxes2 = torch.stack([A, B]), torch.stack([A, C, D])
    matrix = broadcast_box_iou(boxes1[:, None], boxes2[None])
    assert matrix.shape == (2, 3)
    # B and C: overlap x 1..3, y 1..2 -> 2; union 4 + 4 - 2 = 6. B and D: x 2..3, y 1..1 -> 0
    expected = torch.tensor([[1.0, 1 / 3, 0.0], [1 / 7, 1 / 3, 0.0]])
    assert torch.allclose(matrix, expected, atol=1e-6)


def test_shape_iou_ignores_position():
    wh1 = torch.tensor([[2.0, 2.0], [4.0, 1.0]])
    wh2 = torch.tensor([1.0, 4.0])
    # (2, 2) vs (1, 4): overlap 1 x 2 = 2, union 4 + 4 - 2 = 6; (4, 1) vs (1, 4): 1 / 7
    assert shape_iou(wh1, wh2).tolist() == pytest.approx([1 / 3, 1 / 7])
    assert shape_iou(torch.tensor([3.0, 5.0]), torch.tensor([3.0, 5.0])).item() == (
        pytest.approx(1.0))


def test_aligned_iou_modes_hand_values():
    pred, target = torch.stack([A, A, A]), torch.stack([C, D, A])
    iou = aligned_box_iou(pred, target, mode='iou')
    assert iou.tolist() == pytest.approx([1 / 3, 0.0, 1.0])
    # GIoU: A and C fill their enclosing 3 x 2 box (no penalty); A and D enclose 3 x 2 = 6
    # with union 4 + 1 = 5 -> 0 - 1 / 6
    giou = aligned_box_iou(pred, target, mode='giou')
    assert giou.tolist() == pytest.approx([1 / 3, -1 / 6, 1.0])
    # DIoU, A and C: centres 1 apart, enclosing box 3 x 2 -> squared diagonal 13
    diou = aligned_box_iou(A[None], C[None], mode='diou')
    assert diou.item() == pytest.approx(1 / 3 - 1 / 13)
    # CIoU adds nothing when the aspect ratios agree (both 1:1)
    assert aligned_box_iou(A[None], C[None], mode='ciou').item() == pytest.approx(diou.item())


def test_ciou_penalises_a_different_aspect_ratio():
    target = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    pred = torch.tensor([[0.0, 0.5, 2.0, 1.5]])  # same centre, 2 x 1 inside the 2 x 2
    iou = 0.5
    v = 4 / math.pi ** 2 * (math.atan(1.0) - math.atan(2.0)) ** 2
    alpha = v / (1 - iou + v)
    # same centre: the distance term is 0, only alpha * v remains
    assert aligned_box_iou(pred, target, mode='ciou').item() == pytest.approx(
        iou - alpha * v, abs=1e-6)


def test_siou_hand_value_for_a_horizontal_shift():
    # centre offset (1, 0): angle cost 0, so gamma = 2; the enclosing box is 3 wide, so
    # rho_x = (1 / 3)^2 and the distance cost is 1 - exp(-2 / 9); equal shapes: no shape cost
    siou = aligned_box_iou(A[None], C[None], mode='siou')
    assert siou.item() == pytest.approx(1 / 3 - 0.5 * (1 - math.exp(-2 / 9)), abs=1e-6)
    assert aligned_box_iou(A[None], A[None], mode='siou').item() == pytest.approx(1.0)


def test_aligned_iou_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match='unknown IoU mode'):
        aligned_box_iou(A[None], A[None], mode='eiou')
