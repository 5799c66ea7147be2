"""SimOTA (YOLOX): dynamic top-k of the lowest class + IoU cost."""
from collections.abc import Sequence

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_grid_assigner import AssignLevel, GridAssignResult
from .base_multi_level_assigner import BaseMultiLevelAssigner


@TASK_UTILS.register_module()
class SimOTAAssigner(BaseMultiLevelAssigner):
    """SimOTA (YOLOX, Ge et al. 2021; also YOLOv7), over all scales, from the detached
    predictions. The defaults are YOLOX's ``get_assignments`` (``yolox/models/
    yolo_head.py`` as released with the paper, with ``get_in_boxes_info``):

    1. Geometry of a (GT, slot) pair, by the slot's cell centre: *in box* (strictly inside
       the GT box) and *in centre* (within ``center_radius`` strides of the GT centre
       along x and y, strictly).
    2. Candidates of a GT (``candidate_pool='image'``): every slot of its image that is
       in the box or in the centre region of *some* GT of that image (YOLOX's
       ``fg_mask``).
    3. Cost: ``cls_weight * sum_c BCE(sqrt(score_c), onehot_c) + iou_weight *
       -log(IoU + 1e-8) + 1e5`` unless the slot is in the box *and* in the centre region
       of this GT; ``score`` = objectness x class probability, IoU of the predicted box.
    4. Dynamic k of a GT: the sum of its ``candidate_topk`` largest IoUs over its
       candidates, as an integer, at least 1; the GT takes its k lowest-cost candidates.
    5. A slot chosen by several GTs goes to the GT of lowest cost among *all* GTs of
       the image (``conflict='all_gts'``; ties: the first GT).

    Targets (YOLOX's ``get_losses``): class target = the IoU of the positive's predicted
    box with its GT (``cls_target``), objectness target 1 (``obj_target``).

    Named switches for the deviations of earlier versions of this toolbox (docs/
    assigners.md says why each existed):

    - ``candidates='centre'``: only slots in a centre region are candidates (the
      geometry of YOLOX >= 0.3, ``get_geometry_constraint``, which also uses radius 1.5).
    - ``candidate_pool='own'``: a GT sees only its own candidates, and its dynamic k
      sums IoUs over them only. With ``candidates='centre'`` the positives then lie in
      a window of ``center_radius`` cells: the reach is bounded, ``(0.5 - r, 0.5 + r)``,
      and a bounded box coder can decode them (this toolbox's rule before it had box
      coders). Otherwise the reach is unbounded.
    - ``conflict='picking_gts'``: a contested slot goes to the lowest cost among the
      GTs that chose it.
    - ``soft_target='obj'``: the IoU as objectness target and one-hot class targets.

    Args:
        center_radius: radius of the centre region, in strides of the slot's scale.
        candidate_topk: how many IoUs make the dynamic k.
        iou_weight: lambda of the IoU cost (YOLOX: 3).
        cls_weight: weight of the class cost.
        candidates: 'box_or_centre' or 'centre'.
        candidate_pool: 'image' or 'own'.
        conflict: 'all_gts' or 'picking_gts'.
        soft_target: 'cls' or 'obj'.
    """

    uses_predictions = True

    def __init__(self, center_radius: float = 2.5, candidate_topk: int = 10,
                 iou_weight: float = 3.0, cls_weight: float = 1.0,
                 candidates: str = 'box_or_centre', candidate_pool: str = 'image',
                 conflict: str = 'all_gts', soft_target: str = 'cls') -> None:
        for name, value, allowed in (('candidates', candidates, ('box_or_centre', 'centre')),
                                     ('candidate_pool', candidate_pool, ('image', 'own')),
                                     ('conflict', conflict, ('all_gts', 'picking_gts')),
                                     ('soft_target', soft_target, ('cls', 'obj'))):
            if value not in allowed:
                raise ValueError(f'{name} must be one of {allowed}, got {value!r}')
        if center_radius <= 0:
            raise ValueError(f'center_radius must be > 0, got {center_radius}')
        bounded = candidates == 'centre' and candidate_pool == 'own'
        if bounded and conflict == 'all_gts':
            raise ValueError("conflict='all_gts' compares all GTs of an image slot by slot, "
                             "which needs candidate_pool='image' or candidates="
                             "'box_or_centre'; use conflict='picking_gts' with the window")
        super().__init__(center_radius=center_radius if bounded else None)
        self.center_radius = center_radius
        self.candidate_topk = candidate_topk
        self.iou_weight = iou_weight
        self.cls_weight = cls_weight
        self.candidate_rule = candidates
        self.candidate_pool = candidate_pool
        self.conflict = conflict
        self.soft_target = soft_target
        self.declared_targets = (('cls_target', 'obj_target') if soft_target == 'cls'
                                 else ('obj_target', ))

    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        if gt_boxes.numel() == 0:
            return self.empty_results(gt_boxes, len(levels))
        batch_idx = batch_idx.long()
        cand = self.candidates(gt_boxes, levels)
        in_box = self.centre_inside_gt(cand, gt_boxes, 0.0) & cand.valid
        in_centre = self.centre_in_region(cand, gt_boxes, self.center_radius) & cand.valid
        own = in_centre if self.candidate_rule == 'centre' else in_box | in_centre
        pool = own if self.candidate_pool == 'own' else self.per_image(own, batch_idx)

        # costs only where a GT may take the slot (YOLOX: its image's fg columns)
        rows, cols = torch.nonzero(pool, as_tuple=True)
        pair_boxes = self.pair_values(cand, batch_idx, levels,
                                      [lv.pred_boxes for lv in levels], rows, cols)
        pair_iou = self.pred_overlaps(pair_boxes, gt_boxes[rows], 'iou')
        pair_cost = (self.cls_weight * self.class_cost(cand, gt_labels, batch_idx, levels,
                                                       rows, cols)
                     + self.iou_weight * -torch.log(pair_iou + 1e-8)
                     + 1e5 * ~(in_box & in_centre)[rows, cols])
        iou = self.scatter_pairs(pair_iou, rows, cols, pool.shape)
        cost = self.scatter_pairs(pair_cost, rows, cols, pool.shape, fill=float('inf'))

        top_ious = iou.topk(min(self.candidate_topk, iou.shape[1]), dim=1).values
        dynamic_k = top_ious.sum(dim=1).int().clamp(min=1)  # (N,)
        lowest = cost.topk(int(dynamic_k.max()), dim=1, largest=False).indices  # (N, max k)
        chosen = torch.arange(lowest.shape[1], device=cost.device) < dynamic_k[:, None]
        pos = torch.zeros_like(pool).scatter_(1, lowest, chosen) & pool
        if self.conflict == 'all_gts' and cand.dense:
            gt_idx, col = self.resolve_among_all(pos, -cost, batch_idx)
        else:
            gt_idx, col = self.resolve(cand, pos, -cost, batch_idx, levels)
        pos_iou = iou[gt_idx, col]
        if self.soft_target == 'cls':
            return self.to_results(cand, gt_idx, col, batch_idx, len(levels),
                                   cls_target=pos_iou, obj_target=torch.ones_like(pos_iou))
        return self.to_results(cand, gt_idx, col, batch_idx, len(levels), obj_target=pos_iou)

    def class_cost(self, cand, gt_labels: Tensor, batch_idx: Tensor,
                   levels: Sequence[AssignLevel], rows: Tensor, cols: Tensor) -> Tensor:
        """(P,) ``sum_c BCE(sqrt(score_c), onehot_c)`` of (GT row, column) pairs, logs
        clamped at -100 as in
        ``F.binary_cross_entropy``: each slot's sum of "negative" terms over the classes
        (computed once per slot), the GT class's term swapped for its "positive" one."""
        quality = [lv.pred_scores.float().clamp(0, 1).sqrt() for lv in levels]
        neg_sums = [(-(-q).log1p().clamp(min=-100.0)).sum(dim=-1, keepdim=True)
                    for q in quality]  # (B, A, H, W, 1)
        neg_sum = self.pair_values(cand, batch_idx, levels, neg_sums, rows, cols).squeeze(-1)
        label = gt_labels.long()
        q_label = self.pair_values(cand, batch_idx, levels, quality, rows, cols, channel=label)
        neg_label = -(-q_label).log1p().clamp(min=-100.0)
        pos_label = -q_label.log().clamp(min=-100.0)
        return neg_sum - neg_label + pos_label
