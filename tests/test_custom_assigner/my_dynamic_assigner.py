"""A user's dynamic assigner (the example of docs/custom_assigner.md, section 8).

Per GT, over all scales at once, the ``topk`` slots whose *predicted* box overlaps it most;
soft target: that IoU.
"""
import torch
from torch import Tensor

from yolo_toolbox.models.task_modules.assigners import BaseMultiLevelAssigner
from yolo_toolbox.registry import TASK_UTILS


@TASK_UTILS.register_module()
class TopIoUAssigner(BaseMultiLevelAssigner):
    """Positives: per GT the ``topk`` slots of highest IoU between their predicted box and
    the GT, among the slots whose cell centre lies within ``center_radius`` cells of the
    GT centre at any scale (that window is also the reach). A slot claimed by several GTs
    goes to the highest IoU. Soft target: the IoU.
    """

    uses_predictions = True  # the head passes pred_boxes / pred_scores (detached)

    def __init__(self, topk: int = 9, center_radius: float = 1.5) -> None:
        super().__init__(center_radius=center_radius)  # reach (-1, 2)
        self.topk = topk

    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: list) -> list:
        if gt_boxes.numel() == 0:
            return self.empty_results(gt_boxes, len(levels))
        cand = self.candidates(gt_boxes, levels)  # (N, K) window slots of every scale
        iou, _ = self.candidate_ious(cand, gt_boxes, batch_idx, levels)  # predicted box vs GT
        iou = iou.masked_fill(~cand.valid, -1.0)  # (N, K)
        top = iou.topk(min(self.topk, iou.shape[1]), dim=1).indices
        pos = torch.zeros_like(cand.valid).scatter_(1, top, True) & cand.valid
        gt_idx, col = self.resolve(cand, pos, iou, batch_idx, levels)  # one GT per slot
        return self.to_results(cand, gt_idx, col, batch_idx, len(levels),
                               target=iou[gt_idx, col].clamp(min=0))
