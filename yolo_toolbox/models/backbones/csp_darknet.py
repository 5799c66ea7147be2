"""YOLOv8's CSP-Darknet backbone: Conv-BN-SiLU stem, C2f stages, SPPF."""
from typing import Optional, Sequence, Tuple

from torch import Tensor, nn

from yolo_toolbox.registry import MODELS

from ..layers import (
    SILU_CFG,
    SPPF,
    YOLOV8_BN_CFG,
    C2f,
    conv_norm_act,
    make_divisible,
    reset_conv_init_,
    scale_depth,
)
from .base_backbone import BaseBackbone


@MODELS.register_module()
class YOLOv8CSPDarknet(BaseBackbone):
    """CSP-Darknet with C2f blocks, as in Ultralytics' ``yolov8.yaml`` (MMYOLO's
    ``YOLOv8CSPDarknet``).

    ``stem``: 3x3 stride-2 conv (3 -> 64w). ``stage1`` .. ``stage4``: a 3x3 stride-2 conv
    then a C2f block (with shortcuts) of 3, 6, 6, 3 bottlenecks (times ``deepen_factor``)
    at widths 128w, 256w, 512w, ``last_stage_out_channels``w; ``stage4`` ends with SPPF.
    ``w = widen_factor``; widths are rounded up to multiples of 8. Output strides of
    stem, stage1..stage4: 2, 4, 8, 16, 32.

    Sizes of the reference (``deepen_factor``, ``widen_factor``, ``last_stage_out_channels``):
    n (0.33, 0.25, 1024), s (0.33, 0.5, 1024), m (0.67, 0.75, 768), l (1.0, 1.0, 512),
    x (1.0, 1.25, 512).

    Args:
        deepen_factor: bottlenecks per C2f multiplier.
        widen_factor: width multiplier.
        last_stage_out_channels: width of stage4 before ``widen_factor``.
        out_indices: stages to return (0 = stem .. 4); default (2, 3, 4): strides 8, 16, 32.
        frozen_stages: -1 freezes nothing; k >= 0 freezes stem .. stage{k}.
        norm_eval: keep every BN in eval mode during training.
        norm_cfg, act_cfg: of every conv (the reference: BN eps 1e-3 momentum 0.03, SiLU).
        spp_kernel_size: max-pool size of SPPF.
        conv_init: 'pytorch' (PyTorch's default conv init, as Ultralytics) or
            'kaiming_fan_out' (mmcv ConvModule's).
        init_cfg: mmengine initialisation config.

    Attributes:
        out_channels: channels of the returned maps, e.g. (64, 128, 256) for n.
        strides: their strides in input pixels, e.g. (8, 16, 32).

    Input (B, 3, H, W) -> tuple of (B, out_channels[i], H / strides[i], W / strides[i])
    (ceil division: every stride-2 conv pads).
    """

    #: per stage: (width before widen_factor, bottlenecks before deepen_factor)
    stage_settings = ((128, 3), (256, 6), (512, 6), (None, 3))
    _STAGE_STRIDES = (2, 4, 8, 16, 32)

    def __init__(self, deepen_factor: float = 1.0, widen_factor: float = 1.0,
                 last_stage_out_channels: int = 1024, out_indices: Sequence[int] = (2, 3, 4),
                 frozen_stages: int = -1, norm_eval: bool = False,
                 norm_cfg: dict = YOLOV8_BN_CFG, act_cfg: dict = SILU_CFG,
                 spp_kernel_size: int = 5, conv_init: str = 'pytorch',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        reset_conv_init_(nn.Identity(), conv_init)  # validates the name early
        if deepen_factor <= 0 or widen_factor <= 0:
            raise ValueError(f'deepen_factor and widen_factor must be > 0, got '
                             f'{deepen_factor}, {widen_factor}')
        if not out_indices or not set(out_indices) <= set(range(5)):
            raise ValueError(f'out_indices must be a non-empty subset of 0..4, got {out_indices}')
        self.conv_init = conv_init
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)

        widths = [make_divisible(64 * widen_factor)]
        self.stem = conv_norm_act(3, widths[0], 3, 2, **cfg)
        for index, (width, num_blocks) in enumerate(self.stage_settings, start=1):
            width = make_divisible((width or last_stage_out_channels) * widen_factor)
            layers = [conv_norm_act(widths[-1], width, 3, 2, **cfg),
                      C2f(width, width, scale_depth(num_blocks, deepen_factor), shortcut=True,
                          **cfg)]
            if index == len(self.stage_settings):
                layers.append(SPPF(width, width, spp_kernel_size, **cfg))
            self.add_module(f'stage{index}', nn.Sequential(*layers))
            widths.append(width)
        self.out_channels: Tuple[int, ...] = tuple(widths[i] for i in self.out_indices)
        self.strides: Tuple[int, ...] = tuple(self._STAGE_STRIDES[i] for i in self.out_indices)
        self._freeze_stages()

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            reset_conv_init_(self, self.conv_init)

    def _stages(self) -> Tuple[nn.Module, ...]:
        return (self.stem, self.stage1, self.stage2, self.stage3, self.stage4)

    def _freeze_stages(self) -> None:
        for stage in self._stages()[:self.frozen_stages + 1]:
            stage.eval()
            for param in stage.parameters():
                param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, H, W) images -> tuple of feature maps, one per ``out_indices`` entry."""
        outs = []
        for index, stage in enumerate(self._stages()):
            x = stage(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
