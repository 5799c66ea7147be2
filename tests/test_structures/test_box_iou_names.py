"""Names of the box IoUs: ``broadcast_box_iou`` pairs boxes element-wise after
broadcasting; ``box_iou`` is its deprecated old name (torchvision's ``box_iou`` is the
pairwise matrix, which the old name suggested)."""
import pytest
import torch

from yolo_toolbox.structures import box_iou, broadcast_box_iou

A = torch.tensor([[0., 0., 10., 10.], [0., 0., 4., 4.]])
B = torch.tensor([[5., 0., 15., 10.], [0., 0., 4., 4.]])


def test_broadcast_box_iou_is_element_wise():
    iou = broadcast_box_iou(A, B)
    assert iou.shape == (2, )
    torch.testing.assert_close(iou, torch.tensor([50 / 150, 1.0]))
    assert broadcast_box_iou(A[:, None], B[None]).shape == (2, 2)  # a matrix on request


def test_box_iou_is_a_deprecated_alias():
    with pytest.warns(DeprecationWarning, match='broadcast_box_iou'):
        old = box_iou(A, B)
    assert torch.equal(old, broadcast_box_iou(A, B))
