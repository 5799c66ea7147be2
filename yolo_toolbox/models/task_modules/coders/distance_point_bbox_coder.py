"""Anchor-free decoding as YOLOv8 does it: distances from the cell centre as distributions."""
from typing import Any

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_bbox_coder import BaseBBoxCoder


@TASK_UTILS.register_module()
class DistancePointBBoxCoder(BaseBBoxCoder):
    """Box = distances (left, top, right, bottom) from the anchor point, each a
    distribution over ``reg_max`` bins (Generalized Focal Loss; YOLOv8's ``DFL``).

    Raw layout per slot: ``4 * reg_max`` logits, side-major ``[l_0 .. l_{R-1}, t_0 ..,
    r_0 .., b_0 ..]``. Each side's distance in cells is the expectation of the softmax over
    bins ``0 .. reg_max - 1``, so a side reaches at most ``reg_max - 1`` cells (15 strides
    at the default): at stride 32 that is 480 px from the centre. The anchor point is the
    cell centre ``(grid_xy + 0.5) * stride``; the anchor size is ignored. Any positive
    can regress its GT (``reach`` None) as long as the box's sides lie within that range.

    Args:
        reg_max: bins per side (YOLOv8: 16).
    """

    reach = None

    def __init__(self, reg_max: int = 16) -> None:
        super().__init__()
        if reg_max < 2:
            raise ValueError(f'reg_max must be >= 2 (bins per side), got {reg_max}')
        self.reg_max = int(reg_max)
        self.num_raw = 4 * self.reg_max

    def config(self) -> dict[str, Any]:
        return dict(type='DistancePointBBoxCoder', reg_max=self.reg_max)

    def distances(self, raw: Tensor) -> Tensor:
        """(..., 4 * reg_max) logits -> (..., 4) expected l, t, r, b in cells."""
        probs = raw.unflatten(-1, (4, self.reg_max)).softmax(dim=-1)
        bins = torch.arange(self.reg_max, dtype=probs.dtype, device=probs.device)
        return (probs * bins).sum(dim=-1)

    def decode(self, raw: Tensor, grid_xy: Tensor, anchor_wh: Tensor, stride: float,
               grid_size: tuple[int, int]) -> Tensor:
        """See :meth:`BaseBBoxCoder.decode`; ``anchor_wh`` and ``grid_size`` are unused.

        ``raw`` (..., 4 * reg_max), ``grid_xy`` (..., 2) column, row -> (..., 4) cx, cy,
        w, h in network-input pixels.
        """
        ltrb = self.distances(raw) * stride
        point_xy = (grid_xy + 0.5) * stride
        left_top, right_bottom = ltrb[..., :2], ltrb[..., 2:]
        centre_xy = point_xy + (right_bottom - left_top) / 2
        return torch.cat([centre_xy, left_top + right_bottom], dim=-1)

    def target_distances(self, boxes_cxcywh: Tensor, grid_xy: Tensor, stride: float) -> Tensor:
        """The DFL target of a box: its sides' distances from the anchor point, in cells.

        Args:
            boxes_cxcywh: (..., 4) target boxes in network-input pixels.
            grid_xy: (..., 2) column, row of the predicting cell.
            stride: pixels per cell.

        Returns:
            (..., 4) l, t, r, b in cells, clamped to ``[0, reg_max - 1 - 0.01]`` as
            YOLOv8's ``bbox2dist`` does (so that the upper bin of the interpolation exists).
        """
        point_xy = (grid_xy + 0.5) * stride
        half_wh = boxes_cxcywh[..., 2:] / 2
        left_top = point_xy - (boxes_cxcywh[..., :2] - half_wh)
        right_bottom = boxes_cxcywh[..., :2] + half_wh - point_xy
        ltrb = torch.cat([left_top, right_bottom], dim=-1) / stride
        return ltrb.clamp(0, self.reg_max - 1 - 0.01)
