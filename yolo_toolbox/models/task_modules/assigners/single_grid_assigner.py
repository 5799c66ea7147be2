"""Single-grid assignment (YOLOv1/v2 style): the GT's own cell only."""
import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS
from yolo_toolbox.structures import shape_iou

from .base_grid_assigner import BaseGridAssigner, GridAssignResult


@TASK_UTILS.register_module()
class SingleGridAssigner(BaseGridAssigner):
    """Positives: the anchors of the cell holding the GT centre whose shape IoU with the
    GT (centres aligned, w and h only) is >= ``match_iou_thres``.

    Reach [0, 1): the centre is decoded with a sigmoid inside the cell.
    """

    reach = (0.0, 1.0)
    squash = 'sigmoid'

    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        num_anchors = anchors.shape[0]
        iou = shape_iou(gt_boxes[:, None, 2:], anchors[None])  # (N, A)
        gt_idx, anchor_idx = torch.nonzero(iou >= self.match_iou_thres, as_tuple=True)
        cell_y, cell_x = self.gt_cells(gt_boxes, grid_size, stride)
        return self.select(batch_idx[gt_idx].long(), anchor_idx, cell_y[gt_idx], cell_x[gt_idx],
                           gt_idx, iou[gt_idx, anchor_idx], num_anchors, grid_size)
