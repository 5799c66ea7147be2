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

__all__ = ['BN_CFG', 'CONV_INITS', 'RELU_CFG', 'conv_norm_act', 'DepthwiseSeparableConv',
           'SPPBlock', 'reset_conv_init_']
