"""All-grid assignment: every anchor of every cell competes for every GT."""
import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_grid_assigner import BaseGridAssigner, GridAssignResult


@TASK_UTILS.register_module()
class AllGridAssigner(BaseGridAssigner):
    """Positives: every (cell, anchor) whose anchor box, centred on the cell centre, has
    an IoU with the GT box (positions included) > ``match_iou_thres``.

    Reach: the whole map; the centre is decoded as ``tanh * grid_size`` cells from the
    predicting cell, so any cell can reach any point of the map. The (N, A, H, W) IoUs are
    built from per-axis overlaps, (N, A, W) and (N, A, H), which is exact for axis-aligned
    boxes and several times faster than pairing every box with every anchor box.
    """

    reach = None
    squash = 'tanh'

    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        num_anchors = anchors.shape[0]
        if gt_boxes.numel() == 0:
            return GridAssignResult.empty(gt_boxes.device)
        iou = self.grid_iou(gt_boxes, anchors.to(gt_boxes.dtype), grid_size, stride)
        gt_idx, anchor_idx, grid_y, grid_x = torch.nonzero(iou > self.match_iou_thres,
                                                           as_tuple=True)
        return self.select(batch_idx[gt_idx].long(), anchor_idx, grid_y, grid_x, gt_idx,
                           iou[gt_idx, anchor_idx, grid_y, grid_x], num_anchors, grid_size)

    @staticmethod
    def grid_iou(gt_boxes: Tensor, anchors: Tensor, grid_size: tuple[int, int],
                 stride: float) -> Tensor:
        """IoU of each GT (N, 4) cxcywh with each anchor (A, 2) centred on each cell centre.

        Returns (N, A, H, W). Intersections factor into an x overlap per column and a y
        overlap per row.
        """
        grid_h, grid_w = grid_size
        arange = dict(device=gt_boxes.device, dtype=gt_boxes.dtype)
        centre_x = (torch.arange(grid_w, **arange) + 0.5) * stride
        centre_y = (torch.arange(grid_h, **arange) + 0.5) * stride

        def overlap(gt_centre: Tensor, gt_size: Tensor, anchor_size: Tensor,
                    cell_centre: Tensor) -> Tensor:  # -> (N, A, cells)
            gt_low = (gt_centre - gt_size / 2)[:, None, None]
            gt_high = (gt_centre + gt_size / 2)[:, None, None]
            half = anchor_size[None, :, None] / 2
            return (torch.minimum(gt_high, cell_centre + half)
                    - torch.maximum(gt_low, cell_centre - half)).clamp(min=0)

        overlap_x = overlap(gt_boxes[:, 0], gt_boxes[:, 2], anchors[:, 0], centre_x)
        overlap_y = overlap(gt_boxes[:, 1], gt_boxes[:, 3], anchors[:, 1], centre_y)
        inter = overlap_y[..., :, None] * overlap_x[..., None, :]
        union = ((gt_boxes[:, 2] * gt_boxes[:, 3])[:, None, None, None]
                 + (anchors[:, 0] * anchors[:, 1])[None, :, None, None] - inter)
        return inter / (union + 1e-7)
