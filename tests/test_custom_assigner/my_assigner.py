"""A user's own assigner, outside the toolbox package (the example of docs/custom_assigner.md).

YOLOv5-like: the GT's cell plus the 2 neighbour cells nearest to the GT centre (one
along x, one along y), and in them the GT's top-k anchors by shape IoU among those
that reach ``match_iou_thres``.
"""
import torch
from torch import Tensor

from yolo_toolbox.models.task_modules.assigners import BaseGridAssigner, GridAssignResult
from yolo_toolbox.registry import TASK_UTILS
from yolo_toolbox.structures import shape_iou


@TASK_UTILS.register_module()
class NearestCellsTopKAssigner(BaseGridAssigner):
    """Positives: the (at most) ``topk`` anchors of highest shape IoU with the GT among
    those with IoU >= ``match_iou_thres``, in the GT's cell and in the two neighbour
    cells nearest to the GT centre (left or right, above or below; those inside the map).

    Reach [-0.5, 1.5): seen from a neighbour, the GT centre lies at most half a cell
    beyond it, so the centre decodes as ``2 * sigmoid - 0.5`` (YOLOv5's decoding).

    Args:
        topk: anchors per GT and cell at most.
        match_iou_thres: shape-IoU threshold of an anchor.
        filter_by_max_iou: conflict resolution, as in :class:`BaseGridAssigner`.
    """

    reach = (-0.5, 1.5)
    squash = 'sigmoid'

    def __init__(self, topk: int = 2, match_iou_thres: float = 0.25,
                 filter_by_max_iou: bool = True) -> None:
        super().__init__(match_iou_thres=match_iou_thres, filter_by_max_iou=filter_by_max_iou)
        self.topk = topk

    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        if gt_boxes.numel() == 0:
            return GridAssignResult.empty(gt_boxes.device)
        grid_h, grid_w = grid_size
        # anchors: the top-k by shape IoU that reach the threshold
        iou = shape_iou(gt_boxes[:, None, 2:], anchors[None])  # (N, A)
        top_iou, top_anchor = iou.topk(min(self.topk, anchors.shape[0]), dim=1)  # (N, k)
        gt_idx, rank = torch.nonzero(top_iou >= self.match_iou_thres, as_tuple=True)  # (M,)
        anchor_idx, match_iou = top_anchor[gt_idx, rank], top_iou[gt_idx, rank]

        # cells: own cell, nearest neighbour along x and along y
        cell_y, cell_x = self.gt_cells(gt_boxes, grid_size, stride)  # (N,)
        frac_x = gt_boxes[:, 0] / stride - cell_x
        frac_y = gt_boxes[:, 1] / stride - cell_y
        step_x = torch.where(frac_x < 0.5, -1, 1)
        step_y = torch.where(frac_y < 0.5, -1, 1)
        zero = torch.zeros_like(cell_x)
        grid_x = (cell_x[:, None] + torch.stack([zero, step_x, zero], dim=1))[gt_idx]  # (M, 3)
        grid_y = (cell_y[:, None] + torch.stack([zero, zero, step_y], dim=1))[gt_idx]
        inside = (grid_x >= 0) & (grid_x < grid_w) & (grid_y >= 0) & (grid_y < grid_h)
        match, cell = torch.nonzero(inside, as_tuple=True)
        gt_idx, anchor_idx, match_iou = gt_idx[match], anchor_idx[match], match_iou[match]
        return self.select(batch_idx[gt_idx].long(), anchor_idx, grid_y[match, cell],
                           grid_x[match, cell], gt_idx, match_iou, anchors.shape[0], grid_size)
