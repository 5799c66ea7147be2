"""ATSS: adaptive IoU threshold from the statistics of the nearest anchors."""
from collections.abc import Sequence

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS
from yolo_toolbox.structures import box_iou, cxcywh_to_xyxy

from .base_dynamic_assigner import BaseDynamicAssigner
from .base_grid_assigner import AssignLevel, GridAssignResult


@TASK_UTILS.register_module()
class ATSSAssigner(BaseDynamicAssigner):
    """Adaptive training sample selection (Zhang et al., CVPR 2020), over all scales.

    Per GT: at each scale the ``topk`` anchors whose centre (the cell centre) is nearest
    to the GT centre are candidates; the IoU threshold is the mean + standard deviation
    (unbiased, as in MMDetection) of the candidates' IoUs over all scales, where an
    anchor's IoU is that of the anchor box centred on its cell centre with the GT box.
    Positives: candidates with IoU >= threshold whose centre lies inside the GT (by more
    than ``eps`` pixels). A slot claimed by several GTs goes to the highest IoU. Uses no
    predictions; soft targets: none (the head's ``assign_conf_method``).

    Candidate search is limited to the cells within ``center_radius`` cells of the GT
    centre (that is also the reach): with 3 anchors per cell the 9 nearest anchors are
    the anchors of the 3 nearest cells, which the default radius 1.5 always contains
    (it contains the nearest 5 cells).

    Args:
        topk: candidates per scale and GT.
        center_radius: see :class:`BaseDynamicAssigner`; reach (-1, 2) by default.
        eps: margin in pixels of the centre-inside-GT test.
    """

    uses_predictions = False

    def __init__(self, topk: int = 9, center_radius: float = 1.5, eps: float = 0.01) -> None:
        super().__init__(center_radius=center_radius)
        self.topk = topk
        self.eps = eps

    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        if gt_boxes.numel() == 0:
            return self.empty_results(gt_boxes, len(levels))
        cand = self.candidates(gt_boxes, levels)
        distance = (cand.centre_xy - gt_boxes[:, None, :2]).norm(dim=-1)
        distance = distance.masked_fill(~cand.valid, float('inf'))
        # per scale the topk nearest (ties: the first in the window order)
        nearest = torch.zeros_like(cand.valid)
        for lvl in range(len(levels)):
            cols = torch.nonzero(cand.level == lvl).squeeze(1)
            order = torch.sort(distance[:, cols], dim=1, stable=True).indices
            nearest.scatter_(1, cols[order[:, :self.topk]], True)  # (N, k) columns
        nearest &= cand.valid

        anchor_boxes = torch.cat([cand.centre_xy, cand.anchor_wh], dim=-1)
        iou = box_iou(cxcywh_to_xyxy(anchor_boxes), cxcywh_to_xyxy(gt_boxes)[:, None])  # (N, K)
        count = nearest.sum(dim=1, keepdim=True)
        mean = (iou * nearest).sum(dim=1, keepdim=True) / count.clamp(min=1)
        var = (((iou - mean) ** 2) * nearest).sum(dim=1, keepdim=True) / (count - 1).clamp(min=1)
        threshold = mean + var.sqrt()
        pos = nearest & (iou >= threshold) & self.centre_inside_gt(cand, gt_boxes, self.eps)
        gt_idx, col = self.resolve(cand, pos, iou, batch_idx, levels)
        return self.to_results(cand, gt_idx, col, batch_idx, len(levels))
