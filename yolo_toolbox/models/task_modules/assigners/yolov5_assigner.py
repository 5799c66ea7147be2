"""YOLOv5 assignment: width/height-ratio anchor match, the GT's cell and 2 neighbours."""
import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_grid_assigner import BaseGridAssigner, GridAssignResult


@TASK_UTILS.register_module()
class YOLOv5Assigner(BaseGridAssigner):
    """YOLOv5's rule (``build_targets`` of ultralytics/yolov5), scale by scale.

    Positives: the anchors whose width and height ratios to the GT are all within
    ``anchor_t``: ``max(r, 1 / r) < anchor_t`` for ``r = gt_w / anchor_w`` and
    ``gt_h / anchor_h``; each such anchor in the GT's cell and in the two neighbour cells
    nearest to the GT centre: left if the centre is in the left half of its cell (right
    if in the right half; none exactly on the middle), likewise above / below; those
    inside the map. Where GTs share a slot the best shape match (smallest ratio) wins.

    At a centre exactly on a cell border (fraction 0) the left / upper neighbour is taken,
    as YOLOv5 does (it also writes the GT's own cell a second time; here a slot holds one
    GT). As YOLOv5, a left / upper neighbour needs the centre strictly beyond grid
    coordinate 1 (``gxy > 1``): a centre exactly on 1.0 gets no neighbour at cell 0.
    ``strict_border=False`` (this toolbox's earlier rule) adds that neighbour. YOLOv5
    keeps every GT of a shared slot as a separate target; here one GT per slot.

    Reach [-0.5, 1.5): seen from a neighbour the GT centre is at most half a cell beyond
    it; the centre decodes as ``2 * sigmoid - 0.5`` cells (YOLOv5's decoding).

    Args:
        anchor_t: the largest width or height ratio between a GT and its anchors.
        filter_by_max_iou: conflict resolution, as in :class:`BaseGridAssigner` (the
            "IoU" compared is ``1 / max ratio``).
        strict_border: YOLOv5's ``gxy > 1`` for the left / upper neighbour.
    """

    reach = (-0.5, 1.5)
    squash = 'sigmoid'

    def __init__(self, anchor_t: float = 4.0, filter_by_max_iou: bool = True,
                 strict_border: bool = True) -> None:
        super().__init__(filter_by_max_iou=filter_by_max_iou)
        self.anchor_t = anchor_t
        self.strict_border = strict_border

    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        if gt_boxes.numel() == 0:
            return GridAssignResult.empty(gt_boxes.device)
        grid_h, grid_w = grid_size
        ratio = gt_boxes[:, None, 2:] / anchors[None].to(gt_boxes)  # (N, A, 2)
        worst_ratio = torch.maximum(ratio, 1 / ratio).amax(dim=-1)  # (N, A)
        gt_idx, anchor_idx = torch.nonzero(worst_ratio < self.anchor_t, as_tuple=True)
        match = 1 / worst_ratio[gt_idx, anchor_idx]  # (M,) in (1 / anchor_t, 1]

        cell_y, cell_x = self.gt_cells(gt_boxes, grid_size, stride)  # (N,)
        frac_x = gt_boxes[:, 0] / stride - cell_x
        frac_y = gt_boxes[:, 1] / stride - cell_y
        left = frac_x < 0.5
        up = frac_y < 0.5
        if self.strict_border:  # YOLOv5: gxy > 1 (in cells) for the left / upper neighbour
            left &= gt_boxes[:, 0] / stride > 1
            up &= gt_boxes[:, 1] / stride > 1
        step_x = (frac_x > 0.5).long() - left.long()  # -1 left, +1 right, 0 none
        step_y = (frac_y > 0.5).long() - up.long()
        zero = torch.zeros_like(cell_x)
        grid_x = (cell_x[:, None] + torch.stack([zero, step_x, zero], dim=1))[gt_idx]  # (M, 3)
        grid_y = (cell_y[:, None] + torch.stack([zero, zero, step_y], dim=1))[gt_idx]
        is_neighbour = torch.stack([zero, step_x, step_y], dim=1)[gt_idx] != 0
        is_neighbour[:, 0] = True  # the GT's own cell
        inside = (is_neighbour & (grid_x >= 0) & (grid_x < grid_w) & (grid_y >= 0)
                  & (grid_y < grid_h))
        row, cell = torch.nonzero(inside, as_tuple=True)
        gt_idx, anchor_idx, match = gt_idx[row], anchor_idx[row], match[row]
        return self.select(batch_idx[gt_idx].long(), anchor_idx, grid_y[row, cell],
                           grid_x[row, cell], gt_idx, match, anchors.shape[0], grid_size)
