"""SPP + PAN neck of the original system (``SPP`` then ``PAN`` in its ``models/modules.py``)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from yolo_toolbox.registry import MODELS

from ..layers import (
    BN_CFG,
    RELU_CFG,
    DepthwiseSeparableConv,
    SPPBlock,
    conv_norm_act,
    reset_conv_init_,
)


@MODELS.register_module()
class YOLOSPPPAN(BaseModule):
    """SPP on the stride-32 map, then a top-down + bottom-up path aggregation network.

    With ``c = in_channels[2]`` (the stride-32 channels) the outputs have
    ``out_channels = (c // 4, c // 2, c)`` at strides 8, 16, 32. The layers (names as in the
    original) are::

        spp    SPP(c -> c)                        on the stride-32 map
        up1    1x1 c -> c/2                       = P5 lateral
        up2    1x1 (c/2 + in[1]) -> c/4, 3x3      on cat(up(P5 lateral), stride-16 map)
        head1  1x1 (c/4 + in[0]) -> c/4, 3x3      on cat(up(up2), stride-8 map)  -> out 0
        down1  3x3 s2 c/4 -> c/4
        head2  DSConv (c/4 + c/4) -> c/2, 1x1     on cat(down1, up2)             -> out 1
        down2  3x3 s2 c/2 -> c/2
        head3  DSConv (c/2 + c/2) -> c, 1x1       on cat(down2, up1)             -> out 2

    Upsampling is nearest-neighbour to the exact size of the finer map. With the original's
    backbones ``in_channels == (c/4, c/2, c)``, which gives its exact layer shapes.

    Args:
        in_channels: channels of the three backbone maps at strides 8, 16, 32.
        use_spp: apply the SPP block (the original always does).
        pool_sizes: SPP max-pool kernel sizes.
        norm_cfg: normalisation config (``dict(type='SyncBN')`` for multi-GPU BN).
        act_cfg: activation config.
        conv_init: 'pytorch' (PyTorch's default conv init, the original's; default) or
            'kaiming_fan_out' (mmcv ConvModule's). See :func:`reset_conv_init_`.
        init_cfg: mmengine initialisation config.

    Attributes:
        out_channels: (c // 4, c // 2, c).
    """

    def __init__(self, in_channels: Sequence[int], use_spp: bool = True,
                 pool_sizes: Sequence[int] = (5, 9, 13), norm_cfg: dict = BN_CFG,
                 act_cfg: dict = RELU_CFG, conv_init: str = 'pytorch',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        reset_conv_init_(nn.Identity(), conv_init)  # validates the name early
        self.conv_init = conv_init
        if len(in_channels) != 3:
            raise ValueError(f'YOLOSPPPAN needs 3 input maps (strides 8/16/32), got {in_channels}')
        self.in_channels = tuple(in_channels)
        c8, c16, c = self.in_channels
        c2, c4 = c // 2, c // 4
        if c4 < 1:
            raise ValueError(f'stride-32 channels {c} too small (need at least 4)')
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.spp = SPPBlock(c, c, pool_sizes, **cfg) if use_spp else nn.Identity()
        self.up1 = conv_norm_act(c, c2, 1, **cfg)
        self.up2 = nn.Sequential(conv_norm_act(c2 + c16, c4, 1, **cfg),
                                 conv_norm_act(c4, c4, 3, **cfg))
        self.head1 = nn.Sequential(conv_norm_act(c4 + c8, c4, 1, **cfg),
                                   conv_norm_act(c4, c4, 3, **cfg))
        self.down1 = conv_norm_act(c4, c4, 3, 2, **cfg)
        self.head2 = nn.Sequential(DepthwiseSeparableConv(c4 + c4, c2, 3, **cfg),
                                   conv_norm_act(c2, c2, 1, **cfg))
        self.down2 = conv_norm_act(c2, c2, 3, 2, **cfg)
        self.head3 = nn.Sequential(DepthwiseSeparableConv(c2 + c2, c, 3, **cfg),
                                   conv_norm_act(c, c, 1, **cfg))
        self.out_channels: Tuple[int, int, int] = (c4, c2, c)

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            reset_conv_init_(self, self.conv_init)

    @staticmethod
    def _up_cat(coarse: Tensor, fine: Tensor) -> Tensor:
        """Nearest-upsample ``coarse`` to ``fine``'s H, W and concatenate on channels."""
        return torch.cat([F.interpolate(coarse, size=fine.shape[2:], mode='nearest'), fine], 1)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """Backbone maps (strides 8, 16, 32) -> neck maps (B, out_channels[i], H_i, W_i)."""
        if len(inputs) != 3:
            raise ValueError(f'YOLOSPPPAN expects 3 feature maps, got {len(inputs)}')
        feat8, feat16, feat32 = inputs
        lateral32 = self.up1(self.spp(feat32))
        lateral16 = self.up2(self._up_cat(lateral32, feat16))
        out8 = self.head1(self._up_cat(lateral16, feat8))
        out16 = self.head2(torch.cat([self.down1(out8), lateral16], dim=1))
        out32 = self.head3(torch.cat([self.down2(out16), lateral32], dim=1))
        return out8, out16, out32
