"""All-grid assignment: every anchor of every cell competes for every GT."""
import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS
from yolo_toolbox.structures import box_iou, cxcywh_to_xyxy

from .base_grid_assigner import BaseGridAssigner, GridAssignResult


@TASK_UTILS.register_module()
class AllGridAssigner(BaseGridAssigner):
    """Positives: every (cell, anchor) whose anchor box, centred on the cell centre, has
    an IoU with the GT box (positions included) > ``match_iou_thres``.

    Reach: the whole map; the centre is decoded as ``tanh * grid_size`` cells from the
    predicting cell, so any cell can reach any point of the map. IoUs are computed GT by
    GT over the map, (N, A, H, W) at once, so memory grows with N * A * H * W.
    """

    reach = None
    squash = 'tanh'

    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        device = gt_boxes.device
        num_anchors = anchors.shape[0]
        grid_h, grid_w = grid_size
        if gt_boxes.numel() == 0:
            return GridAssignResult.empty(device)
        centre_y = (torch.arange(grid_h, device=device, dtype=gt_boxes.dtype) + 0.5) * stride
        centre_x = (torch.arange(grid_w, device=device, dtype=gt_boxes.dtype) + 0.5) * stride
        anchor_boxes = torch.cat([
            torch.stack(torch.meshgrid(centre_x, centre_y, indexing='xy'), dim=-1)[None]
            .expand(num_anchors, grid_h, grid_w, 2),
            anchors.to(gt_boxes.dtype)[:, None, None, :].expand(num_anchors, grid_h, grid_w, 2),
        ], dim=-1)  # (A, H, W, 4) cx, cy, w, h
        iou = box_iou(cxcywh_to_xyxy(gt_boxes)[:, None, None, None, :],
                      cxcywh_to_xyxy(anchor_boxes)[None])  # (N, A, H, W)
        gt_idx, anchor_idx, grid_y, grid_x = torch.nonzero(iou > self.match_iou_thres,
                                                           as_tuple=True)
        return self.select(batch_idx[gt_idx].long(), anchor_idx, grid_y, grid_x, gt_idx,
                           iou[gt_idx, anchor_idx, grid_y, grid_x], num_anchors, grid_size)
