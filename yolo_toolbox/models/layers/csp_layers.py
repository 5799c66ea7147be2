"""Blocks of the YOLOv8 family: the C2f CSP block and SPPF, on Conv-BN-SiLU.

Layouts follow Ultralytics' ``nn/modules/block.py`` (``C2f``, ``Bottleneck``, ``SPPF``) so
that parameter counts match theirs exactly; every conv is a :func:`conv_norm_act`
(conv without bias, BN, activation).
"""
import math
from typing import Optional

import torch
from torch import Tensor, nn

from .conv_blocks import conv_norm_act

# Ultralytics' Conv: BN with eps 1e-3 and momentum 0.03 (PyTorch convention), then SiLU
YOLOV8_BN_CFG: dict = dict(type='BN', momentum=0.03, eps=0.001)
SILU_CFG: dict = dict(type='SiLU', inplace=True)


def make_divisible(channels: float, divisor: int = 8) -> int:
    """Round ``channels`` up to a multiple of ``divisor`` (width scaling of YOLOv5/v8)."""
    return int(math.ceil(channels / divisor) * divisor)


def scale_depth(num_blocks: int, deepen_factor: float) -> int:
    """Blocks of a stage after depth scaling: ``max(round(n * deepen_factor), 1)``."""
    return max(round(num_blocks * deepen_factor), 1) if num_blocks > 1 else num_blocks


class Bottleneck(nn.Module):
    """3x3 conv -> 3x3 conv (hidden = ``out_channels``), plus the input when
    ``shortcut`` and the widths agree. (B, in, H, W) -> (B, out, H, W)."""

    def __init__(self, in_channels: int, out_channels: int, shortcut: bool = True,
                 norm_cfg: Optional[dict] = YOLOV8_BN_CFG,
                 act_cfg: Optional[dict] = SILU_CFG) -> None:
        super().__init__()
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = conv_norm_act(in_channels, out_channels, 3, **cfg)
        self.conv2 = conv_norm_act(out_channels, out_channels, 3, **cfg)
        self.add_identity = shortcut and in_channels == out_channels

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv2(self.conv1(x))
        return x + out if self.add_identity else out


class C2f(nn.Module):
    """CSP block with two convs and ``num_blocks`` bottlenecks (YOLOv8's ``C2f``).

    A 1x1 conv to ``2 * hidden`` (``hidden = int(out_channels * expand_ratio)``) is split
    in two halves; the second half runs through the bottlenecks one after the other and
    every intermediate output is kept; the concatenation of the two halves and all
    bottleneck outputs, ``(2 + num_blocks) * hidden`` channels, goes through a 1x1 conv to
    ``out_channels``. Shapes: (B, in_channels, H, W) -> (B, out_channels, H, W).

    Args:
        in_channels, out_channels: widths.
        num_blocks: bottlenecks.
        shortcut: residual connection inside the bottlenecks (backbone: True; neck: False).
        expand_ratio: hidden width / out_channels.
    """

    def __init__(self, in_channels: int, out_channels: int, num_blocks: int = 1,
                 shortcut: bool = False, expand_ratio: float = 0.5,
                 norm_cfg: Optional[dict] = YOLOV8_BN_CFG,
                 act_cfg: Optional[dict] = SILU_CFG) -> None:
        super().__init__()
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.hidden_channels = int(out_channels * expand_ratio)
        self.main_conv = conv_norm_act(in_channels, 2 * self.hidden_channels, 1, **cfg)
        self.blocks = nn.ModuleList(
            Bottleneck(self.hidden_channels, self.hidden_channels, shortcut, **cfg)
            for _ in range(num_blocks))
        self.final_conv = conv_norm_act((2 + num_blocks) * self.hidden_channels, out_channels,
                                        1, **cfg)

    def forward(self, x: Tensor) -> Tensor:
        parts = list(self.main_conv(x).split((self.hidden_channels, self.hidden_channels), 1))
        for block in self.blocks:
            parts.append(block(parts[-1]))
        return self.final_conv(torch.cat(parts, dim=1))


class SPPF(nn.Module):
    """Spatial pyramid pooling, fast (YOLOv5/v8): 1x1 conv to ``in_channels // 2``, three
    chained stride-1 max-pools of ``kernel_size`` (receptive fields 5, 9, 13 at k=5), the
    four maps concatenated, 1x1 conv to ``out_channels``.
    Shapes: (B, in_channels, H, W) -> (B, out_channels, H, W)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 5,
                 norm_cfg: Optional[dict] = YOLOV8_BN_CFG,
                 act_cfg: Optional[dict] = SILU_CFG) -> None:
        super().__init__()
        hidden_channels = in_channels // 2
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = conv_norm_act(in_channels, hidden_channels, 1, **cfg)
        self.pool = nn.MaxPool2d(kernel_size, stride=1, padding=kernel_size // 2)
        self.conv2 = conv_norm_act(4 * hidden_channels, out_channels, 1, **cfg)

    def forward(self, x: Tensor) -> Tensor:
        parts = [self.conv1(x)]
        for _ in range(3):
            parts.append(self.pool(parts[-1]))
        return self.conv2(torch.cat(parts, dim=1))
