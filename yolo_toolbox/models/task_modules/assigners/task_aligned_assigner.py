"""Task-aligned assignment (TOOD / YOLOv8): top-k of score^alpha * IoU^beta."""
from collections.abc import Sequence

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_dynamic_assigner import BaseDynamicAssigner
from .base_grid_assigner import AssignLevel, GridAssignResult


@TASK_UTILS.register_module()
class TaskAlignedAssigner(BaseDynamicAssigner):
    """Task-aligned assignment (TOOD, Feng et al., ICCV 2021; YOLOv8), over all scales,
    from the detached predictions.

    Alignment of a (GT, slot) pair: ``t = score ** alpha * IoU ** beta``, with ``score``
    the slot's predicted score (objectness x class probability) of the GT's class and IoU
    that of its predicted box with the GT. Candidates: slots whose cell centre lies inside
    the GT box (by more than ``eps`` pixels) and within ``center_radius`` cells of its
    centre (the reach). Positives: each GT's ``topk`` candidates of highest alignment; a
    slot claimed by several GTs goes to the highest IoU. Soft target of a positive
    (YOLOv8's normalisation): ``t / max_t * max_iou``, with ``max_t`` and ``max_iou``
    the largest alignment and IoU among the positives of the same GT.

    Args:
        topk: positives per GT at most (TOOD: 13; YOLOv8: 10).
        alpha, beta: exponents of the score and the IoU (TOOD: 1, 6; YOLOv8: 0.5, 6).
        center_radius: see :class:`BaseDynamicAssigner`; reach (-2, 3) by default.
        eps: margin in pixels of the centre-inside-GT test, and of the normalisation.
    """

    uses_predictions = True

    def __init__(self, topk: int = 13, alpha: float = 1.0, beta: float = 6.0,
                 center_radius: float = 2.5, eps: float = 1e-9) -> None:
        super().__init__(center_radius=center_radius)
        self.topk = topk
        self.alpha = alpha
        self.beta = beta
        self.eps = eps

    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        if gt_boxes.numel() == 0:
            return self.empty_results(gt_boxes, len(levels))
        cand = self.candidates(gt_boxes, levels)
        iou, pred_scores = self.candidate_ious(cand, gt_boxes, batch_idx, levels)  # (N, K)
        label = gt_labels.long()[:, None, None].expand(-1, pred_scores.shape[1], 1)
        score = pred_scores.float().gather(-1, label).squeeze(-1)  # (N, K)
        align = score.pow(self.alpha) * iou.pow(self.beta)
        candidate = cand.valid & self.centre_inside_gt(cand, gt_boxes, self.eps)

        ranked = align.masked_fill(~candidate, -1.0)
        top = ranked.topk(min(self.topk, ranked.shape[1]), dim=1).indices
        pos = torch.zeros_like(candidate).scatter_(1, top, True) & candidate
        gt_idx, col = self.resolve(cand, pos, iou, batch_idx, levels)

        pos_align, pos_iou = align[gt_idx, col], iou[gt_idx, col]
        max_align = pos_align.new_zeros(gt_boxes.shape[0]).scatter_reduce(
            0, gt_idx, pos_align, reduce='amax')
        max_iou = pos_iou.new_zeros(gt_boxes.shape[0]).scatter_reduce(
            0, gt_idx, pos_iou, reduce='amax')
        target = pos_align / (max_align[gt_idx] + self.eps) * max_iou[gt_idx]
        return self.to_results(cand, gt_idx, col, batch_idx, len(levels), target=target)
