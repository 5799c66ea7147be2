"""The assigner contract: which anchors at which grid cells each GT box supervises."""
from abc import ABCMeta, abstractmethod
from typing import NamedTuple, Optional

import torch
from torch import Tensor


class GridAssignResult(NamedTuple):
    """Positives of one scale for a whole batch; one row per positive, all (P,) long.

    ``(batch_idx[i], anchor_idx[i], grid_y[i], grid_x[i])`` is a slot of the
    prediction map (B, A, H, W) and ``gt_idx[i]`` the row of the GT it learns.
    """
    batch_idx: Tensor
    anchor_idx: Tensor
    grid_y: Tensor
    grid_x: Tensor
    gt_idx: Tensor

    @classmethod
    def empty(cls, device: torch.device) -> 'GridAssignResult':
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return cls(empty, empty, empty, empty, empty)

    @property
    def num_pos(self) -> int:
        return self.gt_idx.numel()


class BaseGridAssigner(metaclass=ABCMeta):
    """Base class of grid assigners.

    An assigner works on a whole batch at one scale with tensors only (no Python loop
    over images or GTs) and declares ``reach``: where, relative to the GT's cell, its
    positives can lie, in cells. The head decodes predicted centres over exactly that
    reach (:meth:`decode_centre_offset`), so a new assigner brings its decoding with it.

    Args:
        match_iou_thres: IoU threshold for an anchor to become a positive.
        filter_by_max_iou: where several GTs claim the same (image, anchor, cell), keep
            the one with the highest IoU; if False keep one of them at random.
    """

    #: (low, high): a positive's cell lies in [gt_cell + low, gt_cell + high); ``None``
    #: means anywhere on the map, i.e. (-grid_size, grid_size).
    reach: Optional[tuple[float, float]] = (0.0, 1.0)
    #: 'sigmoid' or 'tanh': how raw outputs are squashed into the reach.
    squash: str = 'sigmoid'

    def __init__(self, match_iou_thres: float = 0.0625, filter_by_max_iou: bool = True) -> None:
        self.match_iou_thres = match_iou_thres
        self.filter_by_max_iou = filter_by_max_iou

    @abstractmethod
    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        """Assign GTs of a batch to (image, anchor, cell) slots of one scale.

        Args:
            gt_boxes: (N, 4) cx, cy, w, h in network-input pixels.
            gt_labels: (N,) class indices.
            batch_idx: (N,) image index of each GT.
            anchors: (A, 2) anchor w, h in pixels at this scale.
            grid_size: (H, W) of the prediction map.
            stride: pixels per cell.

        Returns:
            GridAssignResult with one row per positive.
        """

    def decode_centre_offset(self, raw_xy: Tensor, grid_size: tuple[int, int]) -> Tensor:
        """Map raw centre outputs (..., 2) [x, y] to offsets in cells from the cell's corner.

        The offset spans the assigner's reach: ``low + (high - low) * s(raw)`` with s the
        sigmoid or (tanh + 1) / 2, so that single grid gives ``sigmoid``, nearby grid
        ``1.5 * tanh + 0.5`` and all grid ``tanh * grid_size``, the original decodings.
        """
        unit = raw_xy.sigmoid() if self.squash == 'sigmoid' else (raw_xy.tanh() + 1) / 2
        if self.reach is None:
            size_xy = raw_xy.new_tensor([grid_size[1], grid_size[0]])
            return -size_xy + 2 * size_xy * unit
        low, high = self.reach
        return low + (high - low) * unit

    @staticmethod
    def gt_cells(gt_boxes: Tensor, grid_size: tuple[int, int],
                 stride: float) -> tuple[Tensor, Tensor]:
        """(N,) cell row and column of each GT centre: floor(centre / stride), clamped
        to the map (a centre on the right or bottom edge belongs to the last cell)."""
        grid_h, grid_w = grid_size
        cell_x = torch.div(gt_boxes[:, 0], stride, rounding_mode='floor').long()
        cell_y = torch.div(gt_boxes[:, 1], stride, rounding_mode='floor').long()
        return cell_y.clamp(0, grid_h - 1), cell_x.clamp(0, grid_w - 1)

    def select(self, batch_idx: Tensor, anchor_idx: Tensor, grid_y: Tensor, grid_x: Tensor,
               gt_idx: Tensor, iou: Tensor, num_anchors: int,
               grid_size: tuple[int, int]) -> GridAssignResult:
        """Resolve candidates (all (M,)) that claim the same slot; one GT per slot.

        With ``filter_by_max_iou`` the candidate with the highest ``iou`` wins a
        slot, otherwise a random one does.
        """
        if gt_idx.numel() == 0:
            return GridAssignResult.empty(gt_idx.device)
        grid_h, grid_w = grid_size
        slot = ((batch_idx * num_anchors + anchor_idx) * grid_h + grid_y) * grid_w + grid_x
        if self.filter_by_max_iou:
            priority = torch.argsort(iou, descending=True, stable=True)
        else:
            priority = torch.randperm(iou.numel(), device=iou.device)
        by_slot = priority[torch.argsort(slot[priority], stable=True)]
        slot_sorted = slot[by_slot]
        first = torch.ones_like(slot_sorted, dtype=torch.bool)
        first[1:] = slot_sorted[1:] != slot_sorted[:-1]
        keep = by_slot[first]
        return GridAssignResult(batch_idx[keep], anchor_idx[keep], grid_y[keep], grid_x[keep],
                                gt_idx[keep])
