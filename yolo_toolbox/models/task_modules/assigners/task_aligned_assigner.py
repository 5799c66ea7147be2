"""Task-aligned assignment (TOOD / YOLOv8): top-k of score^alpha * overlap^beta."""
from collections.abc import Sequence
from typing import Optional

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_grid_assigner import AssignLevel, GridAssignResult
from .base_multi_level_assigner import BaseMultiLevelAssigner


@TASK_UTILS.register_module()
class TaskAlignedAssigner(BaseMultiLevelAssigner):
    """Task-aligned assignment (TOOD, Feng et al., ICCV 2021; YOLOv8), over all scales,
    from the detached predictions. The defaults are YOLOv8's ``TaskAlignedAssigner``
    (``ultralytics/utils/tal.py``, as ``v8DetectionLoss`` builds it):

    1. Candidates of a GT: the slots whose cell centre lies inside the GT box by more
       than ``eps`` pixels, anywhere in the box.
    2. Alignment ``t = score ** alpha * overlap ** beta``: ``score`` the slot's predicted
       probability of the GT's class (objectness x class here), ``overlap`` the CIoU of
       its predicted box with the GT, clamped at 0 (``iou_type``).
    3. Each GT takes the ``topk`` candidates of highest alignment (``topk_over='in_box'``:
       the top-k is taken among the candidates). Candidates of alignment 0 are not
       positives (YOLOv8 marks them foreground with target 0, so they get no box loss
       and the class target of a negative; here they are simply negatives).
    4. A slot chosen by several GTs goes to the GT of highest overlap among *all* GTs of
       the image whose box holds it (``conflict='all_gts'``; ties: the first GT).
    5. Targets: ``t_hat = t / max_t * max_overlap`` with ``max_t`` and ``max_overlap``
       the largest alignment and overlap among the positives of the same GT: the class
       target (``cls_target``) and the weight of the box loss (``box_weight``, so the box
       loss is ``sum(t_hat * loss) / sum(t_hat)``, YOLOv8's normalisation); objectness
       target 1, as YOLOX does for its IoU-aware class targets.

    TOOD as published: ``topk=13, alpha=1, beta=6, iou_type='iou', topk_over='all',
    conflict='picking_gts'`` (MMDetection's ``TaskAlignedAssigner``: the top-k over every
    slot, then only those inside the box; a contested slot to the highest IoU among the
    GTs that chose it).

    Named switches for the deviations of earlier versions of this toolbox (docs/
    assigners.md): ``center_radius=2.5`` limits candidates to a window of that many
    cells (bounded reach); ``iou_type='iou'``; ``keep_zero_alignment=True`` makes
    candidates of alignment 0 positives; ``conflict='picking_gts'``. And one of the
    current Ultralytics package: ``min_box_size=16`` raises the sides of smaller GT
    boxes to 16 pixels about their centre for the candidate test only (ultralytics >=
    8.4; YOLOv8 as published has none).

    Args:
        topk: positives per GT at most (TOOD: 13; YOLOv8: 10).
        alpha, beta: exponents of the score and the overlap (TOOD: 1, 6; YOLOv8: 0.5, 6).
        iou_type: 'ciou' or 'iou' (``aligned_box_iou`` modes).
        topk_over: 'in_box' or 'all'.
        conflict: 'all_gts' or 'picking_gts'.
        keep_zero_alignment: see above.
        min_box_size: see above, pixels.
        center_radius: None (every slot in the box) or a window radius in cells.
        eps: margin in pixels of the centre-inside-GT test, and of the normalisation.
    """

    uses_predictions = True
    declared_targets = ('cls_target', 'obj_target', 'box_weight')

    def __init__(self, topk: int = 10, alpha: float = 0.5, beta: float = 6.0,
                 iou_type: str = 'ciou', topk_over: str = 'in_box',
                 conflict: str = 'all_gts', keep_zero_alignment: bool = False,
                 min_box_size: Optional[float] = None, center_radius: Optional[float] = None,
                 eps: float = 1e-9) -> None:
        for name, value, allowed in (('iou_type', iou_type, ('ciou', 'iou')),
                                     ('topk_over', topk_over, ('in_box', 'all')),
                                     ('conflict', conflict, ('all_gts', 'picking_gts'))):
            if value not in allowed:
                raise ValueError(f'{name} must be one of {allowed}, got {value!r}')
        if center_radius is not None and conflict == 'all_gts':
            raise ValueError("conflict='all_gts' compares all GTs of an image slot by slot, "
                             "which needs center_radius=None; use conflict='picking_gts' "
                             "with a window")
        super().__init__(center_radius=center_radius)
        self.topk = topk
        self.alpha = alpha
        self.beta = beta
        self.iou_type = iou_type
        self.topk_over = topk_over
        self.conflict = conflict
        self.keep_zero_alignment = keep_zero_alignment
        self.min_box_size = min_box_size
        self.eps = eps

    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        if gt_boxes.numel() == 0:
            return self.empty_results(gt_boxes, len(levels))
        batch_idx = batch_idx.long()
        cand = self.candidates(gt_boxes, levels)
        in_box = cand.valid & self.centre_inside_gt(cand, gt_boxes, self.eps,
                                                    self.min_box_size)
        # the metrics where they are needed only: inside the box (YOLOv8), or on every
        # valid slot for TOOD's top-k over all slots
        rows, cols = torch.nonzero(in_box if self.topk_over == 'in_box' else cand.valid,
                                   as_tuple=True)
        pair_boxes = self.pair_values(cand, batch_idx, levels,
                                      [lv.pred_boxes for lv in levels], rows, cols)
        pair_overlap = self.pred_overlaps(pair_boxes, gt_boxes[rows], self.iou_type)
        pair_score = self.pair_values(cand, batch_idx, levels, [lv.pred_scores for lv in levels],
                                      rows, cols, channel=gt_labels.long()).float()
        pair_align = pair_score.pow(self.alpha) * pair_overlap.pow(self.beta)
        overlap = self.scatter_pairs(pair_overlap, rows, cols, in_box.shape)
        align = self.scatter_pairs(pair_align, rows, cols, in_box.shape)
        ranked = align.masked_fill(~(in_box if self.topk_over == 'in_box' else cand.valid), -1.0)
        top = ranked.topk(min(self.topk, ranked.shape[1]), dim=1).indices
        pos = torch.zeros_like(in_box).scatter_(1, top, True) & in_box
        if not self.keep_zero_alignment:
            pos &= align > 0
        if self.conflict == 'all_gts':
            gt_idx, col = self.resolve_among_all(pos, overlap.masked_fill(~in_box, -1.0),
                                                 batch_idx)
            if not self.keep_zero_alignment:  # a winner that did not choose it may have t=0
                keep = align[gt_idx, col] > 0
                gt_idx, col = gt_idx[keep], col[keep]
        else:
            gt_idx, col = self.resolve(cand, pos, overlap, batch_idx, levels)

        pos_align, pos_overlap = align[gt_idx, col], overlap[gt_idx, col]
        max_align = pos_align.new_zeros(gt_boxes.shape[0]).scatter_reduce(
            0, gt_idx, pos_align, reduce='amax')
        max_overlap = pos_overlap.new_zeros(gt_boxes.shape[0]).scatter_reduce(
            0, gt_idx, pos_overlap, reduce='amax')
        t_hat = pos_align / (max_align[gt_idx] + self.eps) * max_overlap[gt_idx]
        return self.to_results(cand, gt_idx, col, batch_idx, len(levels), cls_target=t_hat,
                               obj_target=torch.ones_like(t_hat), box_weight=t_hat)
