"""SimOTA (YOLOX): dynamic top-k of the lowest class + IoU cost, from a centre prior."""
from collections.abc import Sequence

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_dynamic_assigner import BaseDynamicAssigner
from .base_grid_assigner import AssignLevel, GridAssignResult


@TASK_UTILS.register_module()
class SimOTAAssigner(BaseDynamicAssigner):
    """SimOTA (YOLOX, Ge et al. 2021; also YOLOv7), over all scales, from the detached
    predictions.

    Per GT, candidates: the slots whose cell centre lies within ``center_radius`` cells
    of the GT centre (YOLOX's centre prior; YOLOX also admits slots inside the box but
    outside that radius, at a 1e5 cost penalty; here they are out of the reach, so left
    out). Cost of a (GT, slot) pair::

        cls_weight * sum_c BCE(sqrt(score_c), onehot_c) + iou_weight * -log(IoU + 1e-8)
        + 1e5 if the cell centre is not inside the GT box

    with ``score`` = objectness x class probability and IoU of the predicted box with
    the GT. Dynamic k per GT: the sum of its ``candidate_topk`` largest IoUs, as an
    integer, at least 1; the GT takes its k lowest-cost candidates. A slot chosen by
    several GTs goes to the lowest cost. Soft target: the IoU of the positive's
    predicted box with its GT.

    Args:
        center_radius: see :class:`BaseDynamicAssigner`; reach (-2, 3) by default.
        candidate_topk: how many IoUs make the dynamic k.
        iou_weight: lambda of the IoU cost (YOLOX: 3).
        cls_weight: weight of the class cost.
    """

    uses_predictions = True

    def __init__(self, center_radius: float = 2.5, candidate_topk: int = 10,
                 iou_weight: float = 3.0, cls_weight: float = 1.0) -> None:
        super().__init__(center_radius=center_radius)
        self.candidate_topk = candidate_topk
        self.iou_weight = iou_weight
        self.cls_weight = cls_weight

    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        if gt_boxes.numel() == 0:
            return self.empty_results(gt_boxes, len(levels))
        cand = self.candidates(gt_boxes, levels)
        iou, pred_scores = self.candidate_ious(cand, gt_boxes, batch_idx, levels)
        iou = iou.masked_fill(~cand.valid, 0.0)  # (N, K)

        # sum over classes of BCE(sqrt(score), onehot), logs clamped at -100 as in
        # F.binary_cross_entropy: every class's "negative" term, then the GT class's
        # term swapped for its "positive" one
        # (in place on the gathered copy: this is the largest tensor, (N, K, C))
        quality = pred_scores.float().clamp_(0, 1).sqrt_()  # (N, K, C)
        label = gt_labels.long()[:, None, None].expand(-1, quality.shape[1], 1)
        pos_term = quality.gather(-1, label).squeeze(-1).log().clamp(min=-100.0).neg()
        neg_term = quality.neg_().log1p_().clamp_(min=-100.0).neg_()  # -log(1 - q)
        cls_cost = neg_term.sum(dim=-1) - neg_term.gather(-1, label).squeeze(-1) + pos_term
        in_box = self.centre_inside_gt(cand, gt_boxes, 0.0)
        cost = (self.cls_weight * cls_cost + self.iou_weight * -torch.log(iou + 1e-8)
                + 1e5 * (~in_box))
        cost = cost.masked_fill(~cand.valid, float('inf'))

        top_ious = iou.topk(min(self.candidate_topk, iou.shape[1]), dim=1).values
        dynamic_k = top_ious.sum(dim=1).int().clamp(min=1)  # (N,)
        lowest = cost.topk(int(dynamic_k.max()), dim=1, largest=False).indices  # (N, max k)
        chosen = torch.arange(lowest.shape[1], device=cost.device) < dynamic_k[:, None]
        pos = torch.zeros_like(cand.valid).scatter_(1, lowest, chosen) & cand.valid
        gt_idx, col = self.resolve(cand, pos, -cost, batch_idx, levels)
        return self.to_results(cand, gt_idx, col, batch_idx, len(levels),
                               target=iou[gt_idx, col])
