"""YOLOX's unbounded decoding: a linear centre offset and an exponential size."""
from typing import Any

import torch
from torch import Tensor

from yolo_toolbox.registry import TASK_UTILS

from .base_bbox_coder import BaseBBoxCoder


@TASK_UTILS.register_module()
class YOLOXBBoxCoder(BaseBBoxCoder):
    """Unbounded centre and size, as YOLOX decodes (``yolox/models/yolo_head.py``).

    Centre ``(grid + raw_xy) * stride`` (a raw 0.5 is the cell centre; any offset is
    reachable, so it covers every assigner); size ``exp(raw_wh) * base`` with ``base``
    the stride (YOLOX, anchor-free) or the slot's anchor (``wh_base='anchor'``, for an
    anchor head). ``raw_wh`` is clamped at ``max_log_wh`` so that an untrained head
    cannot overflow (e**10 strides is far beyond any input).

    Args:
        wh_base: 'stride' or 'anchor'.
        max_log_wh: upper clamp of ``raw_wh``.
    """

    reach = None

    def __init__(self, wh_base: str = 'stride', max_log_wh: float = 10.0) -> None:
        super().__init__()
        if wh_base not in ('stride', 'anchor'):
            raise ValueError(f"wh_base must be 'stride' or 'anchor', got '{wh_base}'")
        self.wh_base = wh_base
        self.max_log_wh = float(max_log_wh)

    def config(self) -> dict[str, Any]:
        return dict(type='YOLOXBBoxCoder', wh_base=self.wh_base, max_log_wh=self.max_log_wh)

    def decode(self, raw: Tensor, grid_xy: Tensor, anchor_wh: Tensor, stride: float,
               grid_size: tuple[int, int]) -> Tensor:
        centre_xy = (grid_xy + raw[..., :2]) * stride
        scale = raw[..., 2:4].clamp(max=self.max_log_wh).exp()
        wh = scale * (anchor_wh if self.wh_base == 'anchor' else stride)
        return torch.cat([centre_xy, wh], dim=-1)
