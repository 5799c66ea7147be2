"""Darknet-53 backbone with a width multiplier (the original system's ``DarkNet``)."""
from typing import Optional, Sequence, Tuple

from torch import Tensor, nn

from yolo_toolbox.registry import MODELS

from ..layers import BN_CFG, RELU_CFG, conv_norm_act, reset_conv_init_
from .base_backbone import BaseBackbone


class DarknetResidualBlock(nn.Module):
    """1x1 conv to ``channels // 2`` -> 3x3 conv back to ``channels``, plus the input.

    Shapes: (B, channels, H, W) -> (B, channels, H, W).
    """

    def __init__(self, channels: int, norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        hidden_channels = channels // 2
        self.conv = nn.Sequential(
            conv_norm_act(channels, hidden_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg),
            conv_norm_act(hidden_channels, channels, 3, norm_cfg=norm_cfg, act_cfg=act_cfg))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x)


@MODELS.register_module()
class Darknet(BaseBackbone):
    """Darknet-53 (no pretrained weights), laid out as in the original system.

    ``stage0`` = 3x3 conv (3 -> ch) + 3x3 stride-2 conv (ch -> 2ch); ``stage1`` .. ``stage5``
    hold 1, 2, 8, 8, 4 residual blocks at widths 2ch, 4ch, 8ch, 16ch, 32ch; ``down1`` ..
    ``down4`` (3x3 stride-2 convs) sit between them. ``ch = int(base_channels *
    channel_sparsity)``. Output strides of stage0..stage5: 2, 2, 4, 8, 16, 32.

    Args:
        arch: only 'darknet53'.
        base_channels: width of the first conv before the multiplier.
        channel_sparsity: width multiplier (> 0, at most 1 by convention).
        out_indices: stages to return (0..5); the default (3, 4, 5) gives strides 8, 16, 32.
        frozen_stages: -1 freezes nothing; k >= 0 freezes stage0..stage{k} and the downs
            before them.
        norm_eval: keep every BN in eval mode during training.
        norm_cfg: normalisation config (``dict(type='SyncBN')`` for multi-GPU BN).
        act_cfg: activation config (the original's ``act_type``).
        conv_init: 'pytorch' (PyTorch's default conv init, the original's; default) or
            'kaiming_fan_out' (mmcv ConvModule's).
        init_cfg: mmengine initialisation config.

    Attributes:
        out_channels: channels of the returned maps, e.g. (256, 512, 1024) at 1.0.
        strides: their strides in input pixels, e.g. (8, 16, 32).

    Input (B, 3, H, W) -> tuple of (B, out_channels[i], H / strides[i], W / strides[i]).
    """

    arch_settings = {'darknet53': (1, 2, 8, 8, 4)}
    _STAGE_STRIDES = (2, 2, 4, 8, 16, 32)

    def __init__(self, arch: str = 'darknet53', base_channels: int = 32,
                 channel_sparsity: float = 1.0, out_indices: Sequence[int] = (3, 4, 5),
                 frozen_stages: int = -1, norm_eval: bool = False,
                 norm_cfg: dict = BN_CFG, act_cfg: dict = RELU_CFG,
                 conv_init: str = 'pytorch', init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        reset_conv_init_(nn.Identity(), conv_init)  # validates the name early
        self.conv_init = conv_init
        if arch not in self.arch_settings:
            raise ValueError(f'Darknet arch must be one of {list(self.arch_settings)}, got {arch}')
        ch = int(base_channels * channel_sparsity)
        if ch < 1:
            raise ValueError(f'channel_sparsity={channel_sparsity} leaves no channels')
        if not out_indices or not set(out_indices) <= set(range(6)):
            raise ValueError(f'out_indices must be a non-empty subset of 0..5, got {out_indices}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.stage0 = nn.Sequential(conv_norm_act(3, ch, 3, **cfg),
                                    conv_norm_act(ch, ch * 2, 3, 2, **cfg))
        stage_channels = [ch * 2, ch * 2, ch * 4, ch * 8, ch * 16, ch * 32]
        for index, num_blocks in enumerate(self.arch_settings[arch], start=1):
            channels = stage_channels[index]
            if index >= 2:
                self.add_module(f'down{index - 1}',
                                conv_norm_act(stage_channels[index - 1], channels, 3, 2, **cfg))
            self.add_module(f'stage{index}', nn.Sequential(
                *[DarknetResidualBlock(channels, **cfg) for _ in range(num_blocks)]))
        self.out_channels: Tuple[int, ...] = tuple(stage_channels[i] for i in self.out_indices)
        self.strides: Tuple[int, ...] = tuple(self._STAGE_STRIDES[i] for i in self.out_indices)
        self._freeze_stages()

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            reset_conv_init_(self, self.conv_init)

    def _stage_modules(self, index: int) -> Tuple[nn.Module, ...]:
        """The modules run for stage ``index``: its downsampling conv (if any), then its blocks."""
        stage = getattr(self, f'stage{index}')
        return (getattr(self, f'down{index - 1}'), stage) if index >= 2 else (stage,)

    def _freeze_stages(self) -> None:
        for index in range(min(self.frozen_stages, 5) + 1):
            for module in self._stage_modules(index):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, H, W) images -> tuple of feature maps, one per ``out_indices`` entry."""
        outs = []
        for index in range(6):
            for module in self._stage_modules(index):
                x = module(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
