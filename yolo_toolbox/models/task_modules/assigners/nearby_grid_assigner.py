"""Nearby-grid assignment: the GT's cell and its 3x3 neighbourhood."""
import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS
from yolo_toolbox.structures import shape_iou

from .base_grid_assigner import BaseGridAssigner, GridAssignResult


@TASK_UTILS.register_module()
class NearbyGridAssigner(BaseGridAssigner):
    """Positives: in each of the 3x3 cells around the GT's cell (those inside the map),
    the anchors whose shape IoU with the GT is >= ``match_iou_thres``.

    Reach [-1, 2): the centre is decoded as ``1.5 * tanh + 0.5`` cells from the corner
    of the predicting cell, so a neighbour can reach the GT centre.
    """

    reach = (-1.0, 2.0)
    squash = 'tanh'

    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        device = gt_boxes.device
        num_anchors = anchors.shape[0]
        grid_h, grid_w = grid_size
        iou = shape_iou(gt_boxes[:, None, 2:], anchors[None])  # (N, A)
        gt_idx, anchor_idx = torch.nonzero(iou >= self.match_iou_thres, as_tuple=True)
        match_iou = iou[gt_idx, anchor_idx]

        cell_y, cell_x = self.gt_cells(gt_boxes, grid_size, stride)
        offsets = torch.arange(-1, 2, device=device)
        dy, dx = torch.meshgrid(offsets, offsets, indexing='ij')
        grid_y = cell_y[gt_idx, None] + dy.reshape(1, 9)  # (M, 9)
        grid_x = cell_x[gt_idx, None] + dx.reshape(1, 9)
        inside = (grid_y >= 0) & (grid_y < grid_h) & (grid_x >= 0) & (grid_x < grid_w)
        match, shift = torch.nonzero(inside, as_tuple=True)
        gt_idx, anchor_idx, match_iou = gt_idx[match], anchor_idx[match], match_iou[match]
        return self.select(batch_idx[gt_idx].long(), anchor_idx, grid_y[match, shift],
                           grid_x[match, shift], gt_idx, match_iou, num_anchors, grid_size)
