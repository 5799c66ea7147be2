"""Small building blocks shared by backbones, necks and heads."""
from .conv_blocks import (
                          BN_CFG,
                          CONV_INITS,
                          RELU_CFG,
                          DepthwiseSeparableConv,
                          SPPBlock,
                          conv_norm_act,
                          reset_conv_init_,
)
from .csp_layers import SILU_CFG, SPPF, YOLOV8_BN_CFG, C2f, make_divisible, scale_depth

__all__ = ['BN_CFG', 'CONV_INITS', 'RELU_CFG', 'conv_norm_act', 'DepthwiseSeparableConv',
           'SPPBlock', 'reset_conv_init_', 'C2f', 'SPPF', 'SILU_CFG', 'YOLOV8_BN_CFG',
           'make_divisible', 'scale_depth']
