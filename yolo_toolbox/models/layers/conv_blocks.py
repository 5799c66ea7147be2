"""Conv-norm-act blocks shared by the backbones and necks (built on mmcv's ``ConvModule``).

Every block keeps the parameter layout of the original system's ``ConvBNAct`` /
``DSConvBNAct`` / ``SPP`` so that parameter counts match its tables; ``norm_cfg`` and
``act_cfg`` are config dicts (``dict(type='SyncBN')``, ``dict(type='SiLU')``, ...).
"""
import warnings
from typing import Optional, Sequence

import torch
from mmcv.cnn import ConvModule
from torch import Tensor, nn

ConfigDict = Optional[dict]

CONV_INITS = ('pytorch', 'kaiming_fan_out')


def reset_conv_init_(module: nn.Module, conv_init: str) -> None:
    """Re-initialise every ``nn.Conv2d`` under ``module`` after mmengine's ``init_weights``.

    ``'pytorch'`` restores PyTorch's default (``kaiming_uniform_(a=sqrt(5))``, fan-in), the
    initialisation of the original system, whose weights start 2-3.5x smaller than
    ``'kaiming_fan_out'``, mmcv ``ConvModule``'s own init (left as it is). On the held-out
    sets the PyTorch default trains better (docs/results.md, ablation table).
    """
    if conv_init not in CONV_INITS:
        raise ValueError(f'conv_init must be one of {CONV_INITS}, got {conv_init!r}')
    if conv_init == 'pytorch':
        for layer in module.modules():
            if isinstance(layer, nn.Conv2d):
                layer.reset_parameters()


# Shared read-only defaults (mmcv's builders copy a cfg before using it; never mutate these).
BN_CFG: dict = dict(type='BN')
RELU_CFG: dict = dict(type='ReLU')


def conv_norm_act(in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                  groups: int = 1, bias: bool = False, norm_cfg: ConfigDict = BN_CFG,
                  act_cfg: ConfigDict = RELU_CFG) -> ConvModule:
    """Conv ('same' padding for odd kernels) -> norm -> activation.

    The original's ``ConvBNAct``: conv without bias (``bias=False`` by default, even though
    mmcv would also drop it when a norm follows), then BN, then the activation.
    A stride-``s`` block maps (B, in_channels, H, W) to (B, out_channels, ceil(H/s), ceil(W/s)).
    """
    return ConvModule(in_channels, out_channels, kernel_size, stride=stride,
                      padding=kernel_size // 2, groups=groups, bias=bias,
                      norm_cfg=norm_cfg, act_cfg=act_cfg)


class DepthwiseSeparableConv(nn.Sequential):
    """Depthwise kxk conv (no bias) -> norm -> act, then 1x1 conv WITH bias -> norm -> act.

    This is the original's ``DSConvBNAct``: its pointwise conv keeps a bias although a BN
    follows, and the parameter counts include it (mmcv's ``DepthwiseSeparableConvModule``
    would drop it, hence this class). Shapes: (B, in_channels, H, W) -> (B, out_channels,
    ceil(H/stride), ceil(W/stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 1, norm_cfg: ConfigDict = BN_CFG,
                 act_cfg: ConfigDict = RELU_CFG) -> None:
        depthwise = conv_norm_act(in_channels, in_channels, kernel_size, stride,
                                  groups=in_channels, norm_cfg=norm_cfg, act_cfg=act_cfg)
        with warnings.catch_warnings():  # the bias before the norm is intended (see above)
            warnings.filterwarnings('ignore', message='Unnecessary conv bias')
            pointwise = conv_norm_act(in_channels, out_channels, 1, bias=True,
                                      norm_cfg=norm_cfg, act_cfg=act_cfg)
        super().__init__(depthwise, pointwise)


class SPPBlock(nn.Module):
    """Spatial pyramid pooling (YOLOv3-SPP style), the original's ``SPP``.

    1x1 conv to ``in_channels // 2``, max-pools of stride 1 with the given kernel sizes
    (the identity branch included), concatenation, 1x1 conv to ``out_channels``.
    Shapes: (B, in_channels, H, W) -> (B, out_channels, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 pool_sizes: Sequence[int] = (5, 9, 13), norm_cfg: ConfigDict = BN_CFG,
                 act_cfg: ConfigDict = RELU_CFG) -> None:
        super().__init__()
        hidden_channels = in_channels // 2
        self.conv1 = conv_norm_act(in_channels, hidden_channels, 1,
                                   norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.pools = nn.ModuleList(
            [nn.MaxPool2d(size, stride=1, padding=size // 2) for size in pool_sizes])
        self.conv2 = conv_norm_act(hidden_channels * (len(pool_sizes) + 1), out_channels, 1,
                                   norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        x = torch.cat([x] + [pool(x) for pool in self.pools], dim=1)
        return self.conv2(x)
