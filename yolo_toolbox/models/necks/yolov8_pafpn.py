"""YOLOv8's path-aggregation neck: C2f blocks on a top-down then a bottom-up path."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from yolo_toolbox.registry import MODELS

from ..layers import SILU_CFG, YOLOV8_BN_CFG, C2f, conv_norm_act, reset_conv_init_, scale_depth


@MODELS.register_module()
class YOLOv8PAFPN(BaseModule):
    """Top-down + bottom-up path aggregation with C2f blocks (the ``head`` part of
    Ultralytics' ``yolov8.yaml``, MMYOLO's ``YOLOv8PAFPN``), for any number L >= 2 of maps.

    With ``in = in_channels`` and ``out = out_channels`` (default: ``in``), small stride
    first, and ``n = max(round(num_csp_blocks * deepen_factor), 1)`` bottlenecks per C2f
    (no shortcuts)::

        top-down, i = L-2 .. 0:  td[L-1] = input[L-1]  (no lateral conv)
            td[i] = C2f(cat(up2x(td[i+1]), input[i]) -> out[i])   td[0] is output 0
        bottom-up, i = 1 .. L-1:
            output[i] = C2f(cat(conv3x3_s2(output[i-1]), td[i]) -> out[i])

    Upsampling is nearest-neighbour to the exact size of the finer map, so odd sizes work.
    With the YOLOv8 backbone of any size ``out == in``, which gives the reference's layers.

    Args:
        in_channels: channels of each backbone map (small stride first).
        out_channels: channels of each output map (default ``in_channels``).
        deepen_factor: multiplier of ``num_csp_blocks``.
        num_csp_blocks: bottlenecks per C2f before ``deepen_factor`` (reference: 3).
        norm_cfg, act_cfg: of every conv (reference: BN eps 1e-3 momentum 0.03, SiLU).
        conv_init: 'pytorch' (Ultralytics') or 'kaiming_fan_out' (mmcv ConvModule's).
        init_cfg: mmengine initialisation config.

    Attributes:
        out_channels: tuple, channels of the returned maps.

    Input: L maps (B, in[i], H_i, W_i) -> L maps (B, out[i], H_i, W_i).
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Optional[Sequence[int]] = None,
                 deepen_factor: float = 1.0, num_csp_blocks: int = 3,
                 norm_cfg: dict = YOLOV8_BN_CFG, act_cfg: dict = SILU_CFG,
                 conv_init: str = 'pytorch', init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        reset_conv_init_(nn.Identity(), conv_init)  # validates the name early
        self.conv_init = conv_init
        in_channels = tuple(in_channels)
        out_channels = tuple(out_channels) if out_channels is not None else in_channels
        if len(in_channels) < 2 or len(out_channels) != len(in_channels):
            raise ValueError(f'YOLOv8PAFPN needs >= 2 input maps and one out_channels entry '
                             f'per map; got in_channels {in_channels}, out_channels '
                             f'{out_channels}')
        self.in_channels = in_channels
        self.out_channels: Tuple[int, ...] = out_channels
        num_blocks = scale_depth(num_csp_blocks, deepen_factor)
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        levels = len(in_channels)
        # channels of td[i]: the input itself at the top, else out[i]
        td_channels = [*out_channels[:-1], in_channels[-1]]
        self.top_down = nn.ModuleList(
            C2f(td_channels[i + 1] + in_channels[i], out_channels[i], num_blocks, **cfg)
            for i in range(levels - 1))
        self.downsamples = nn.ModuleList(
            conv_norm_act(out_channels[i - 1], out_channels[i - 1], 3, 2, **cfg)
            for i in range(1, levels))
        self.bottom_up = nn.ModuleList(
            C2f(out_channels[i - 1] + td_channels[i], out_channels[i], num_blocks, **cfg)
            for i in range(1, levels))

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            reset_conv_init_(self, self.conv_init)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Backbone maps (small stride first) -> neck maps (B, out_channels[i], H_i, W_i)."""
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'YOLOv8PAFPN expects {len(self.in_channels)} maps, got '
                             f'{len(inputs)}')
        levels = len(inputs)
        td = [None] * levels
        td[-1] = inputs[-1]
        for i in range(levels - 2, -1, -1):
            up = F.interpolate(td[i + 1], size=inputs[i].shape[2:], mode='nearest')
            td[i] = self.top_down[i](torch.cat([up, inputs[i]], dim=1))
        outs = [td[0]]
        for i in range(1, levels):
            down = self.downsamples[i - 1](outs[-1])
            outs.append(self.bottom_up[i - 1](torch.cat([down, td[i]], dim=1)))
        return tuple(outs)
