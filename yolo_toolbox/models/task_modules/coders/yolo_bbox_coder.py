"""The original system's bounded decodings: a squashed centre offset, anchor-scaled size."""
from typing import Any, Optional

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_bbox_coder import BaseBBoxCoder

WH_DECODES = ('sigmoid_square', 'linear', 'exp')


@TASK_UTILS.register_module()
class YOLOBBoxCoder(BaseBBoxCoder):
    """Bounded centre, anchor-relative size (YOLOv3/v5 and the original system).

    Centre: ``(grid + offset) * stride`` with ``offset = low + (high - low) * s(raw)`` in
    cells, ``s`` the sigmoid or ``(tanh + 1) / 2``; so ``centre_reach=(0, 1)`` with the
    sigmoid is YOLOv3's ``sigmoid``, ``(-0.5, 1.5)`` YOLOv5's ``2 * sigmoid - 0.5``,
    ``(-1, 2)`` with tanh the original's nearby-grid ``1.5 * tanh + 0.5``, and
    ``centre_reach=None`` the original's all-grid ``tanh * grid_size`` (the whole map).

    Size, by ``wh_decode``: 'sigmoid_square' ``(2 * sigmoid) ** 2 * anchor`` (YOLOv5, in
    (0, 4 anchor)), 'linear' ``raw * 4 * anchor`` (the original's), 'exp'
    ``exp(raw) * anchor`` (YOLOv3; raw clamped at 10).

    Args:
        centre_reach: (low, high) offset range in cells, or None for the whole map.
        squash: 'sigmoid' or 'tanh'.
        wh_decode: see above.
    """

    def __init__(self, centre_reach: Optional[tuple[float, float]] = (-1.0, 2.0),
                 squash: str = 'tanh', wh_decode: str = 'sigmoid_square') -> None:
        super().__init__()
        if squash not in ('sigmoid', 'tanh'):
            raise ValueError(f"squash must be 'sigmoid' or 'tanh', got '{squash}'")
        if wh_decode not in WH_DECODES:
            raise ValueError(f'wh_decode must be one of {WH_DECODES}, got {wh_decode!r}')
        if centre_reach is not None:
            centre_reach = (float(centre_reach[0]), float(centre_reach[1]))
            if not centre_reach[0] < centre_reach[1]:
                raise ValueError(f'centre_reach must be (low, high) with low < high, got '
                                 f'{centre_reach}')
        self.centre_reach = centre_reach
        self.reach = centre_reach  # the whole map (None) reaches any positive
        self.squash = squash
        self.wh_decode = wh_decode

    def config(self) -> dict[str, Any]:
        return dict(type='YOLOBBoxCoder', centre_reach=self.centre_reach, squash=self.squash,
                    wh_decode=self.wh_decode)

    def centre_offset(self, raw_xy: Tensor, grid_size: tuple[int, int]) -> Tensor:
        """(..., 2) raw x, y -> offsets in cells from the cell's top-left corner."""
        unit = raw_xy.sigmoid() if self.squash == 'sigmoid' else (raw_xy.tanh() + 1) / 2
        if self.centre_reach is None:
            size_xy = raw_xy.new_tensor([grid_size[1], grid_size[0]])
            return -size_xy + 2 * size_xy * unit
        low, high = self.centre_reach
        return low + (high - low) * unit

    def decode(self, raw: Tensor, grid_xy: Tensor, anchor_wh: Tensor, stride: float,
               grid_size: tuple[int, int]) -> Tensor:
        centre_xy = (grid_xy + self.centre_offset(raw[..., :2], grid_size)) * stride
        raw_wh = raw[..., 2:4]
        if self.wh_decode == 'sigmoid_square':
            wh = (2 * raw_wh.sigmoid()) ** 2 * anchor_wh
        elif self.wh_decode == 'linear':
            wh = raw_wh * 4 * anchor_wh
        else:
            wh = raw_wh.clamp(max=10).exp() * anchor_wh
        return torch.cat([centre_xy, wh], dim=-1)
