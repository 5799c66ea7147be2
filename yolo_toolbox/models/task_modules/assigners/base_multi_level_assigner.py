"""Base of multi-level assigners: positives chosen across all scales at once.

``BaseMultiLevelAssigner`` was called ``BaseDynamicAssigner``; that name still imports
(with a DeprecationWarning) from ``yolo_toolbox.models.task_modules.assigners``. "Dynamic"
was misleading: what these assigners share is that they see every scale in one call
(:meth:`assign_levels`); whether they also use the network's predictions is a separate
flag, ``uses_predictions`` (SimOTA and task-aligned do, ATSS does not).

The candidates of a GT are held densely, (N, K) per GT, so that per-GT top-k and
statistics are plain tensor ops (no loop over GTs or images). Two layouts:

- **every slot of the GT's image** (``center_radius=None``, what the references do):
  K = sum over scales of A * H * W, the same column order for every GT (scale, anchor,
  row, column, as the flattened prediction maps), so a column is a slot of the GT's own
  image and GTs of one image can be compared column by column (:meth:`per_image`). The
  index tensors are broadcast views, so this costs no memory beyond the (N, K) values
  an assigner computes. The reach is ``None``: a positive can lie anywhere.
- **a window** around the GT centre (``center_radius=r``): the slots whose cell centre
  lies within ``r`` cells of the GT centre along x and along y (strictly), at every
  scale. K = scales x window cells x anchors; the reach is ``(0.5 - r, 0.5 + r)`` cells,
  so a bounded box coder can decode every positive.
"""
import math
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, NamedTuple, Optional

import torch
from torch import Tensor

from yolo_toolbox.structures import aligned_box_iou, cxcywh_to_xyxy

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
    stride: Tensor  # (K,) pixels per cell of each column's scale
    dense: bool = False  # columns are every slot of the image, in map order


class BaseMultiLevelAssigner(BaseGridAssigner):
    """Assigner that sees every scale at once (:meth:`assign_levels`), with or without
    the predictions (``uses_predictions``).

    Args:
        center_radius: None: every slot of the GT's image is a candidate (reach: anywhere).
            A number: only the slots whose cell centre lies within this many cells of the
            GT centre along x and along y (strictly); the reach is then
            ``(0.5 - center_radius, 0.5 + center_radius)``.
    """

    multi_level = True
    squash = 'sigmoid'

    def __init__(self, center_radius: Optional[float] = None) -> None:
        super().__init__()
        if center_radius is not None and center_radius <= 0:
            raise ValueError(f'center_radius must be > 0 or None, got {center_radius}')
        self.window_radius = center_radius
        self.reach = None if center_radius is None else (0.5 - center_radius,
                                                          0.5 + center_radius)

    def default_coder(self) -> dict[str, Any]:
        """Unbounded (YOLOX's, anchor-scaled sizes) when positives can lie anywhere; the
        bounded sigmoid coder of the window otherwise."""
        if self.reach is None:
            return dict(type='YOLOXBBoxCoder', wh_base='anchor')
        return super().default_coder()

    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        raise TypeError(f'{type(self).__name__} assigns across all scales at once: call '
                        'assign_levels(gt_boxes, gt_labels, batch_idx, levels)')

    @abstractmethod
    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        """See :meth:`BaseGridAssigner.assign_levels`."""

    # ------------------------------------------------------------------ candidates
    def candidates(self, gt_boxes: Tensor, levels: Sequence[AssignLevel]) -> Candidates:
        """The candidate slots of each GT at every scale: every slot of the map
        (``center_radius=None``) or the window around the GT centre. Columns are
        ordered by scale, then anchor, row, column (dense) or window row, column, anchor
        (window)."""
        if self.window_radius is None:
            return self.dense_candidates(gt_boxes, levels)
        return self.window_candidates(gt_boxes, levels, self.window_radius)

    @staticmethod
    def dense_candidates(gt_boxes: Tensor, levels: Sequence[AssignLevel]) -> Candidates:
        """Every slot of every scale, the same columns for every GT (broadcast views)."""
        device, dtype, num_gts = gt_boxes.device, gt_boxes.dtype, gt_boxes.shape[0]
        parts = []
        for lvl, level in enumerate(levels):
            grid_h, grid_w = level.grid_size
            num_anchors = level.anchors.shape[0]
            anchor_idx, grid_y, grid_x = torch.meshgrid(
                torch.arange(num_anchors, device=device), torch.arange(grid_h, device=device),
                torch.arange(grid_w, device=device), indexing='ij')
            anchor_idx, grid_y, grid_x = anchor_idx.flatten(), grid_y.flatten(), grid_x.flatten()
            centre = (torch.stack([grid_x, grid_y], dim=-1).to(dtype) + 0.5) * level.stride
            parts.append((torch.full_like(anchor_idx, lvl), anchor_idx, grid_y, grid_x, centre,
                          level.anchors.to(device, dtype)[anchor_idx],
                          torch.full(anchor_idx.shape, float(level.stride), device=device,
                                     dtype=dtype)))
        level, anchor_idx, grid_y, grid_x, centre, anchor_wh, stride = (
            torch.cat(p) for p in zip(*parts))
        num_cols = level.numel()

        def per_gt(t: Tensor) -> Tensor:
            return t[None].expand(num_gts, *t.shape)

        return Candidates(level, per_gt(anchor_idx), per_gt(grid_y), per_gt(grid_x),
                          torch.ones(1, 1, dtype=torch.bool, device=device).expand(
                              num_gts, num_cols),
                          per_gt(centre), per_gt(anchor_wh), stride, dense=True)

    def window_candidates(self, gt_boxes: Tensor, levels: Sequence[AssignLevel],
                          radius: float) -> Candidates:
        """The window of slots whose cell centre lies within ``radius`` cells of the GT
        centre (per axis, strictly), at every scale."""
        device, num_gts = gt_boxes.device, gt_boxes.shape[0]
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
                level.anchors.to(gt_boxes)[anchor_idx][None].expand(num_gts, -1, -1),
                torch.full((anchor_idx.numel(), ), float(stride), device=device,
                           dtype=gt_boxes.dtype)))
        return Candidates(*(torch.cat(p, dim=1 if p[0].ndim > 1 and i not in (0, 7) else 0)
                            for i, p in enumerate(zip(*parts))))

    # ------------------------------------------------------------------ predictions
    @staticmethod
    def flat_slot_index(cand: Candidates, batch_idx: Tensor,
                        levels: Sequence[AssignLevel]) -> list[tuple[Tensor, Tensor]]:
        """Per scale: (columns of that scale, (N, K_l) row index into that scale's
        prediction map flattened to (B * A * H * W, ...))."""
        out = []
        for lvl, level in enumerate(levels):
            cols = torch.nonzero(cand.level == lvl).squeeze(1)
            num_anchors = level.anchors.shape[0]
            grid_h, grid_w = level.grid_size
            flat = (((batch_idx[:, None] * num_anchors + cand.anchor_idx[:, cols]) * grid_h
                     + cand.grid_y[:, cols]) * grid_w + cand.grid_x[:, cols])  # (N, K_l)
            out.append((cols, flat))
        return out

    def gather_levels(self, cand: Candidates, batch_idx: Tensor, levels: Sequence[AssignLevel],
                      maps: Sequence[Tensor], channel: Optional[Tensor] = None) -> Tensor:
        """Values of the candidates from per-scale maps (B, A, H, W, D): (N, K, D), or
        with ``channel`` (N,) only that channel of each GT's row, (N, K) (no (N, K, D)
        tensor is built, e.g. the score of the GT's class)."""
        values = []
        for (_cols, flat), value_map in zip(self.flat_slot_index(cand, batch_idx, levels), maps):
            value_map = value_map.reshape(-1, value_map.shape[-1])
            if channel is None:
                values.append(value_map.index_select(0, flat.reshape(-1)).view(
                    *flat.shape, -1))
            else:
                values.append(value_map[flat, channel[:, None]])
        return torch.cat(values, dim=1)

    def gather_predictions(self, cand: Candidates, batch_idx: Tensor,
                           levels: Sequence[AssignLevel]) -> tuple[Tensor, Tensor]:
        """Predicted boxes (N, K, 4) cxcywh and scores (N, K, C) of the candidates."""
        return (self.gather_levels(cand, batch_idx, levels, [lv.pred_boxes for lv in levels]),
                self.gather_levels(cand, batch_idx, levels, [lv.pred_scores for lv in levels]))

    def pair_values(self, cand: Candidates, batch_idx: Tensor, levels: Sequence[AssignLevel],
                    maps: Sequence[Tensor], rows: Tensor, cols: Tensor,
                    channel: Optional[Tensor] = None) -> Tensor:
        """Values of chosen (GT row, column) pairs (P,) from per-scale maps (B, A, H, W, D):
        (P, D), or with ``channel`` (N,) that channel of each pair's GT, (P,). The dense
        layout makes (N, K) large; the references compute their costs only where a pair
        is a candidate, and so does this."""
        level = cand.level[cols]
        out = None
        for lvl, (info, value_map) in enumerate(zip(levels, maps)):
            at = torch.nonzero(level == lvl).squeeze(1)
            if at.numel() == 0:
                continue
            r, c = rows[at], cols[at]
            grid_h, grid_w = info.grid_size
            flat = (((batch_idx[r] * info.anchors.shape[0] + cand.anchor_idx[r, c]) * grid_h
                     + cand.grid_y[r, c]) * grid_w + cand.grid_x[r, c])
            value_map = value_map.reshape(-1, value_map.shape[-1])
            values = value_map[flat] if channel is None else value_map[flat, channel[r]]
            if out is None:
                out = values.new_zeros((rows.numel(), *values.shape[1:]))
            out[at] = values
        if out is None:
            width = maps[0].shape[-1]
            out = maps[0].new_zeros((0, ) if channel is not None else (0, width))
        return out

    def candidate_ious(self, cand: Candidates, gt_boxes: Tensor, batch_idx: Tensor,
                       levels: Sequence[AssignLevel]) -> tuple[Tensor, Tensor]:
        """IoU (N, K) in [0, 1] of each candidate's predicted box with its GT, and the
        candidates' predicted scores (N, K, C) (:meth:`gather_predictions`)."""
        pred_boxes, pred_scores = self.gather_predictions(cand, batch_idx, levels)
        iou = self.pred_overlaps(pred_boxes, gt_boxes, 'iou')
        return iou, pred_scores

    @staticmethod
    def pred_overlaps(pred_boxes: Tensor, gt_boxes: Tensor, mode: str = 'iou') -> Tensor:
        """IoU-family overlap (``mode`` of ``aligned_box_iou``: 'iou', 'ciou', ...) of
        predicted boxes cxcywh with their GT cxcywh, clamped to >= 0: (N, K, 4) with (N, 4)
        gives (N, K); paired (P, 4) with (P, 4) gives (P,)."""
        gt_xyxy = cxcywh_to_xyxy(gt_boxes.float())
        if pred_boxes.dim() == 3:
            gt_xyxy = gt_xyxy[:, None]
        overlap = aligned_box_iou(cxcywh_to_xyxy(pred_boxes.float()), gt_xyxy, mode=mode)
        return overlap.clamp(min=0)

    @staticmethod
    def scatter_pairs(values: Tensor, rows: Tensor, cols: Tensor, shape: tuple[int, int],
                      fill: float = 0.0) -> Tensor:
        """(P,) values of (row, column) pairs -> a dense (N, K) tensor, ``fill`` elsewhere."""
        dense = values.new_full(shape, fill)
        dense[rows, cols] = values
        return dense

    # ------------------------------------------------------------------ geometry
    @staticmethod
    def centre_inside_gt(cand: Candidates, gt_boxes: Tensor, eps: float,
                         min_size: Optional[float] = None) -> Tensor:
        """(N, K) whether the candidate's cell centre is more than ``eps`` pixels inside
        its GT box on all four sides (the box's sides first raised to ``min_size``
        pixels about its centre, if given)."""
        half = gt_boxes[:, 2:] / 2
        if min_size is not None:
            half = half.clamp(min=min_size / 2)
        inside_x = half[:, :1] - (cand.centre_xy[..., 0] - gt_boxes[:, :1]).abs() > eps
        inside_y = half[:, 1:] - (cand.centre_xy[..., 1] - gt_boxes[:, 1:2]).abs() > eps
        return inside_x & inside_y

    @staticmethod
    def centre_in_region(cand: Candidates, gt_boxes: Tensor, radius: float) -> Tensor:
        """(N, K) whether the candidate's cell centre lies within ``radius`` strides of
        the GT centre along x and y (strictly): YOLOX's centre prior."""
        limit = radius * cand.stride[None, :]
        return (((cand.centre_xy[..., 0] - gt_boxes[:, :1]).abs() < limit)
                & ((cand.centre_xy[..., 1] - gt_boxes[:, 1:2]).abs() < limit))

    @staticmethod
    def per_image(mask: Tensor, batch_idx: Tensor) -> Tensor:
        """Dense layout only: (N, K) bool -> (N, K) whether any GT of the same image has
        the column set (e.g. YOLOX's foreground: in some GT's box or centre region)."""
        num_images = int(batch_idx.max()) + 1
        any_gt = mask.new_zeros(num_images, mask.shape[1], dtype=torch.int32)
        any_gt.index_add_(0, batch_idx, mask.int())
        return (any_gt > 0)[batch_idx]

    # ------------------------------------------------------------------ conflicts
    def slot_ids(self, cand: Candidates, gt_idx: Tensor, col: Tensor, batch_idx: Tensor,
                 levels: Sequence[AssignLevel]) -> Tensor:
        """(P,) a unique id per (scale, image, anchor, y, x) of positives (gt_idx, col)."""
        level = cand.level[col]
        num_images = int(batch_idx.max()) + 1 if batch_idx.numel() else 1
        device = col.device
        sizes = [num_images * lv.anchors.shape[0] * lv.grid_size[0] * lv.grid_size[1]
                 for lv in levels]
        level_offset = torch.tensor([0, *sizes[:-1]], device=device).cumsum(0)
        num_anchors = torch.tensor([lv.anchors.shape[0] for lv in levels], device=device)
        grid_h = torch.tensor([lv.grid_size[0] for lv in levels], device=device)
        grid_w = torch.tensor([lv.grid_size[1] for lv in levels], device=device)
        return (level_offset[level]
                + ((batch_idx[gt_idx] * num_anchors[level] + cand.anchor_idx[gt_idx, col])
                   * grid_h[level] + cand.grid_y[gt_idx, col]) * grid_w[level]
                + cand.grid_x[gt_idx, col])

    def resolve(self, cand: Candidates, pos: Tensor, priority: Tensor, batch_idx: Tensor,
                levels: Sequence[AssignLevel]) -> tuple[Tensor, Tensor]:
        """One GT per slot: among the positives ``pos`` (N, K) that share a slot the one of
        highest ``priority`` (N, K) wins. Returns (P,) GT index and (P,) column."""
        gt_idx, col = torch.nonzero(pos, as_tuple=True)
        slot = self.slot_ids(cand, gt_idx, col, batch_idx, levels)
        keep = self.best_per_slot(slot, priority[gt_idx, col])
        return gt_idx[keep], col[keep]

    @staticmethod
    def resolve_among_all(pos: Tensor, priority: Tensor,
                          batch_idx: Tensor) -> tuple[Tensor, Tensor]:
        """Dense layout only; the references' rule (YOLOX ``dynamic_k_matching``, YOLOv8
        ``select_highest_overlaps``): a slot that several GTs chose goes to the GT of
        highest ``priority`` among *all* GTs of the image, chosen or not (ties: the first
        GT); a slot chosen once stays. Returns (P,) GT index and (P,) column."""
        num_images = int(batch_idx.max()) + 1
        count = pos.new_zeros(num_images, pos.shape[1], dtype=torch.int32)
        count.index_add_(0, batch_idx, pos.int())
        contested = (count > 1)[batch_idx]  # (N, K)
        rows_image = batch_idx[:, None].expand_as(priority)
        best = priority.new_full((num_images, priority.shape[1]), float('-inf')).scatter_reduce(
            0, rows_image, priority, 'amax')
        is_best = priority == best[batch_idx]
        # among equal bests the first GT (in row order) of its image
        rows = torch.arange(pos.shape[0], device=pos.device)[:, None].expand_as(pos)
        best_row = torch.where(is_best, rows, pos.shape[0])
        first_best = best_row.new_full((num_images, pos.shape[1]), pos.shape[0]).scatter_reduce(
            0, rows_image, best_row, 'amin')
        winner = rows == first_best[batch_idx]
        final = torch.where(contested, winner, pos)
        return torch.nonzero(final, as_tuple=True)

    # ------------------------------------------------------------------ results
    @staticmethod
    def to_results(cand: Candidates, gt_idx: Tensor, col: Tensor, batch_idx: Tensor,
                   num_levels: int, target: Optional[Tensor] = None,
                   **targets: Optional[Tensor]) -> list[GridAssignResult]:
        """Split positives (P,) by scale into one GridAssignResult per scale; ``target``
        / ``obj_target``, ``cls_target``, ``box_weight`` (P,) go with them."""
        results = []
        level = cand.level[col]
        for lvl in range(num_levels):
            at = level == lvl
            g, c = gt_idx[at], col[at]
            results.append(GridAssignResult(
                batch_idx[g].long(), cand.anchor_idx[g, c], cand.grid_y[g, c],
                cand.grid_x[g, c], g, None if target is None else target[at],
                **{k: None if v is None else v[at] for k, v in targets.items()}))
        return results

    @staticmethod
    def empty_results(gt_boxes: Tensor, num_levels: int) -> list[GridAssignResult]:
        return [GridAssignResult.empty(gt_boxes.device) for _ in range(num_levels)]
