"""ATSS: adaptive IoU threshold from the statistics of the nearest anchors."""
from collections.abc import Sequence
from typing import Optional

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS
from yolo_toolbox.structures import broadcast_box_iou, cxcywh_to_xyxy

from .base_grid_assigner import AssignLevel, GridAssignResult
from .base_multi_level_assigner import BaseMultiLevelAssigner, Candidates


@TASK_UTILS.register_module()
class ATSSAssigner(BaseMultiLevelAssigner):
    """Adaptive training sample selection (Zhang et al., CVPR 2020), over all scales, as
    the paper and MMDetection's ``ATSSAssigner`` define it:

    1. Per GT, at each scale, the ``topk`` anchors whose centre (the cell centre) is
       nearest to the GT centre are candidates (ties: the first in map order).
    2. The IoU threshold is the mean + standard deviation (unbiased, as in MMDetection)
       of the candidates' IoUs over all scales, where an anchor's IoU is that of the
       anchor box centred on its cell centre with the GT box.
    3. Positives: candidates with IoU >= threshold whose centre lies inside the GT by
       more than ``eps`` pixels. A slot claimed by several GTs goes to the highest IoU.

    Uses no predictions. Targets (``quality='centerness'``, the ATSS paper's head, from
    FCOS): the objectness (quality) target of a positive is the centerness of its cell
    centre in the GT box, ``sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b))``, and
    the box loss is weighted by it (``sum(c * loss) / sum(c)``). ``quality=None``: no
    declared targets (the head's ``assign_conf_method``, equal weights).

    Reach: anywhere (``center_radius=None``); near the map's corners the nearest anchors
    can be 2.5 cells from the GT centre and more for a larger ``topk``. The named switch
    ``center_radius=1.5`` searches only a window of that many cells (this toolbox's
    earlier rule; reach (-1, 2), with 3 anchors per cell it holds the 9 nearest away
    from the map's border).

    Args:
        topk: candidates per scale and GT.
        eps: margin in pixels of the centre-inside-GT test.
        quality: 'centerness' or None.
        center_radius: None or a window radius in cells.
    """

    uses_predictions = False

    def __init__(self, topk: int = 9, eps: float = 0.01, quality: Optional[str] = 'centerness',
                 center_radius: Optional[float] = None) -> None:
        if quality not in ('centerness', None):
            raise ValueError(f"quality must be 'centerness' or None, got {quality!r}")
        super().__init__(center_radius=center_radius)
        self.topk = topk
        self.eps = eps
        self.quality = quality
        self.declared_targets = ('obj_target', 'box_weight') if quality else ()

    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        if gt_boxes.numel() == 0:
            return self.empty_results(gt_boxes, len(levels))
        batch_idx = batch_idx.long()
        cand = self.candidates(gt_boxes, levels)
        # float64 distances plus a tie-break far below their resolution: among equal
        # distances the first column wins, whatever the top-k implementation does
        distance = torch.hypot((cand.centre_xy[..., 0] - gt_boxes[:, :1]).double(),
                               (cand.centre_xy[..., 1] - gt_boxes[:, 1:2]).double())
        columns = torch.arange(distance.shape[1], device=distance.device, dtype=torch.float64)
        distance = (distance + columns * 1e-9).masked_fill(~cand.valid, float('inf'))
        # per scale the topk nearest (the columns of a scale are contiguous)
        nearest = torch.zeros(cand.valid.shape, dtype=torch.bool, device=gt_boxes.device)
        for lvl in range(len(levels)):
            cols = torch.nonzero(cand.level == lvl).squeeze(1)
            start, stop = int(cols[0]), int(cols[-1]) + 1
            k = min(self.topk, stop - start)
            order = distance[:, start:stop].topk(k, dim=1, largest=False).indices
            nearest.scatter_(1, order + start, True)  # (N, k) columns
        nearest &= cand.valid

        # anchor-box IoUs only of the candidates
        rows, cols = torch.nonzero(nearest, as_tuple=True)
        anchor_boxes = torch.cat([cand.centre_xy[rows, cols], cand.anchor_wh[rows, cols]], -1)
        pair_iou = broadcast_box_iou(cxcywh_to_xyxy(anchor_boxes),
                                     cxcywh_to_xyxy(gt_boxes[rows]))
        iou = self.scatter_pairs(pair_iou, rows, cols, nearest.shape)  # (N, K)
        count = nearest.sum(dim=1, keepdim=True)
        mean = (iou * nearest).sum(dim=1, keepdim=True) / count.clamp(min=1)
        var = (((iou - mean) ** 2) * nearest).sum(dim=1, keepdim=True) / (count - 1).clamp(min=1)
        threshold = mean + var.sqrt()
        pos = nearest & (iou >= threshold) & self.centre_inside_gt(cand, gt_boxes, self.eps)
        gt_idx, col = self.resolve(cand, pos, iou, batch_idx, levels)
        if self.quality is None:
            return self.to_results(cand, gt_idx, col, batch_idx, len(levels))
        centerness = self.centerness(cand, gt_boxes, gt_idx, col)
        return self.to_results(cand, gt_idx, col, batch_idx, len(levels),
                               obj_target=centerness, box_weight=centerness)

    @staticmethod
    def centerness(cand: Candidates, gt_boxes: Tensor, gt_idx: Tensor, col: Tensor) -> Tensor:
        """(P,) FCOS centerness of the positives' cell centres in their GT boxes."""
        centre = cand.centre_xy[gt_idx, col]
        box = cxcywh_to_xyxy(gt_boxes[gt_idx])
        left_right = torch.stack([centre[:, 0] - box[:, 0], box[:, 2] - centre[:, 0]], -1)
        top_bottom = torch.stack([centre[:, 1] - box[:, 1], box[:, 3] - centre[:, 1]], -1)
        left_right, top_bottom = left_right.clamp(min=0), top_bottom.clamp(min=0)
        ratio = ((left_right.amin(-1) / left_right.amax(-1).clamp(min=1e-6))
                 * (top_bottom.amin(-1) / top_bottom.amax(-1).clamp(min=1e-6)))
        return ratio.sqrt()
