"""Base of dynamic assigners: positives chosen across all scales at once.

The candidates of a GT are the slots (anchor, cell) whose cell centre lies within
``center_radius`` cells of the GT centre, per axis, at every scale (the centre prior of
YOLOX). That window is also the assigner's reach, so every positive can regress its GT
centre. Candidates are held densely per GT, (N, K) with K = scales x window cells x
anchors, so that per-GT top-k and statistics are plain tensor ops (no loop over GTs).
"""
import math
from abc import abstractmethod
from collections.abc import Sequence
from typing import NamedTuple, Optional

import torch
from torch import Tensor

from yolo_toolbox.structures import box_iou, cxcywh_to_xyxy

from .base_grid_assigner import AssignLevel, BaseGridAssigner, GridAssignResult


class Candidates(NamedTuple):
    """Candidate slots of each GT, (N, K) unless said otherwise; invalid ones (off the
    map or outside the window) have ``valid`` False and clamped indices."""
    level: Tensor  # (K,) long scale of each column
    anchor_idx: Tensor  # (N, K) long
    grid_y: Tensor  # (N, K) long
    grid_x: Tensor  # (N, K) long
    valid: Tensor  # (N, K) bool
    centre_xy: Tensor  # (N, K, 2) cell centre in input pixels
    anchor_wh: Tensor  # (N, K, 2) anchor w, h in input pixels


class BaseDynamicAssigner(BaseGridAssigner):
    """Assigner that sees every scale at once (:meth:`assign_levels`).

    Args:
        center_radius: candidate cells have their centre within this many cells of the
            GT centre along x and along y (strictly); the reach is
            ``(0.5 - center_radius, 0.5 + center_radius)``.
    """

    multi_level = True
    squash = 'sigmoid'

    def __init__(self, center_radius: float = 2.5) -> None:
        super().__init__()
        if center_radius <= 0:
            raise ValueError(f'center_radius must be > 0, got {center_radius}')
        self.center_radius = center_radius
        self.reach = (0.5 - center_radius, 0.5 + center_radius)

    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        raise TypeError(f'{type(self).__name__} assigns across all scales at once: call '
                        'assign_levels(gt_boxes, gt_labels, batch_idx, levels)')

    @abstractmethod
    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        """See :meth:`BaseGridAssigner.assign_levels`."""

    # ------------------------------------------------------------------ helpers
    def candidates(self, gt_boxes: Tensor, levels: Sequence[AssignLevel]) -> Candidates:
        """The window of candidate slots around each GT centre, at every scale.

        Columns are ordered by scale, then window row, column, then anchor.
        """
        device, num_gts = gt_boxes.device, gt_boxes.shape[0]
        radius = self.center_radius
        offsets = torch.arange(math.floor(-0.5 - radius) + 1, math.ceil(0.5 + radius),
                               device=device)
        dy, dx = torch.meshgrid(offsets, offsets, indexing='ij')
        dy, dx = dy.reshape(1, -1), dx.reshape(1, -1)  # (1, C)
        parts = []
        for lvl, level in enumerate(levels):
            grid_h, grid_w = level.grid_size
            stride = level.stride
            num_anchors = level.anchors.shape[0]
            cell_y, cell_x = self.gt_cells(gt_boxes, level.grid_size, stride)
            grid_y, grid_x = cell_y[:, None] + dy, cell_x[:, None] + dx  # (N, C)
            centre_x, centre_y = (grid_x + 0.5) * stride, (grid_y + 0.5) * stride
            valid = ((grid_y >= 0) & (grid_y < grid_h) & (grid_x >= 0) & (grid_x < grid_w)
                     & ((centre_x - gt_boxes[:, :1]).abs() < radius * stride)
                     & ((centre_y - gt_boxes[:, 1:2]).abs() < radius * stride))

            def per_anchor(t: Tensor, num_anchors: int = num_anchors) -> Tensor:
                """(N, C, ...) -> (N, C * A, ...): each cell once per anchor."""
                t = t[:, :, None].expand(t.shape[0], t.shape[1], num_anchors, *t.shape[2:])
                return t.reshape(t.shape[0], -1, *t.shape[3:])

            anchor_idx = torch.arange(num_anchors, device=device).repeat(dy.shape[1])
            parts.append((
                torch.full((anchor_idx.numel(), ), lvl, dtype=torch.long, device=device),
                anchor_idx[None].expand(num_gts, -1),
                per_anchor(grid_y.clamp(0, grid_h - 1)), per_anchor(grid_x.clamp(0, grid_w - 1)),
                per_anchor(valid),
                per_anchor(torch.stack([centre_x, centre_y], dim=-1).to(gt_boxes.dtype)),
                level.anchors.to(gt_boxes)[anchor_idx][None].expand(num_gts, -1, -1)))
        return Candidates(*(torch.cat(p, dim=1 if p[0].ndim > 1 else 0) for p in zip(*parts)))

    @staticmethod
    def gather_predictions(cand: Candidates, batch_idx: Tensor,
                           levels: Sequence[AssignLevel]) -> tuple[Tensor, Tensor]:
        """Predicted boxes (N, K, 4) cxcywh and scores (N, K, C) of the candidates."""
        boxes, scores = [], []
        for lvl, level in enumerate(levels):
            cols = cand.level == lvl
            num_anchors = level.anchors.shape[0]
            grid_h, grid_w = level.grid_size
            flat = (((batch_idx[:, None] * num_anchors + cand.anchor_idx[:, cols]) * grid_h
                     + cand.grid_y[:, cols]) * grid_w + cand.grid_x[:, cols])  # (N, K_l)
            for out, pred in ((boxes, level.pred_boxes), (scores, level.pred_scores)):
                pred = pred.reshape(-1, pred.shape[-1])
                out.append(pred.index_select(0, flat.reshape(-1)).view(*flat.shape, -1))
        return torch.cat(boxes, dim=1), torch.cat(scores, dim=1)

    def candidate_ious(self, cand: Candidates, gt_boxes: Tensor, batch_idx: Tensor,
                       levels: Sequence[AssignLevel]) -> tuple[Tensor, Tensor]:
        """IoU (N, K) in [0, 1] of each candidate's predicted box with its GT, and the
        candidates' predicted scores (N, K, C) (:meth:`gather_predictions`)."""
        pred_boxes, pred_scores = self.gather_predictions(cand, batch_idx, levels)
        iou = box_iou(cxcywh_to_xyxy(pred_boxes.float()), cxcywh_to_xyxy(gt_boxes)[:, None])
        return iou.clamp(0, 1), pred_scores

    @staticmethod
    def centre_inside_gt(cand: Candidates, gt_boxes: Tensor, eps: float) -> Tensor:
        """(N, K) whether the candidate's cell centre is more than ``eps`` pixels inside
        its GT box on all four sides."""
        half = gt_boxes[:, None, 2:] / 2
        delta = (cand.centre_xy - gt_boxes[:, None, :2]).abs()
        return (half - delta).amin(dim=-1) > eps

    def resolve(self, cand: Candidates, pos: Tensor, priority: Tensor, batch_idx: Tensor,
                levels: Sequence[AssignLevel]) -> tuple[Tensor, Tensor]:
        """One GT per slot: among the positives ``pos`` (N, K) that share a slot the one of
        highest ``priority`` (N, K) wins. Returns (P,) GT index and (P,) column."""
        gt_idx, col = torch.nonzero(pos, as_tuple=True)
        level = cand.level[col]
        # a unique id per (scale, image, anchor, y, x)
        num_images = int(batch_idx.max()) + 1 if batch_idx.numel() else 1
        sizes = [num_images * lv.anchors.shape[0] * lv.grid_size[0] * lv.grid_size[1]
                 for lv in levels]
        level_offset = torch.tensor([0, *sizes[:-1]], device=pos.device).cumsum(0)
        num_anchors = torch.tensor([lv.anchors.shape[0] for lv in levels], device=pos.device)
        grid_h = torch.tensor([lv.grid_size[0] for lv in levels], device=pos.device)
        grid_w = torch.tensor([lv.grid_size[1] for lv in levels], device=pos.device)
        slot = (level_offset[level]
                + ((batch_idx[gt_idx] * num_anchors[level] + cand.anchor_idx[gt_idx, col])
                   * grid_h[level] + cand.grid_y[gt_idx, col]) * grid_w[level]
                + cand.grid_x[gt_idx, col])
        keep = self.best_per_slot(slot, priority[gt_idx, col])
        return gt_idx[keep], col[keep]

    @staticmethod
    def to_results(cand: Candidates, gt_idx: Tensor, col: Tensor, batch_idx: Tensor,
                   num_levels: int, target: Optional[Tensor] = None) -> list[GridAssignResult]:
        """Split positives (P,) by scale into one GridAssignResult per scale."""
        results = []
        level = cand.level[col]
        for lvl in range(num_levels):
            at = level == lvl
            g, c = gt_idx[at], col[at]
            results.append(GridAssignResult(
                batch_idx[g].long(), cand.anchor_idx[g, c], cand.grid_y[g, c],
                cand.grid_x[g, c], g, None if target is None else target[at]))
        return results

    @staticmethod
    def empty_results(gt_boxes: Tensor, num_levels: int) -> list[GridAssignResult]:
        return [GridAssignResult.empty(gt_boxes.device) for _ in range(num_levels)]
