"""Small building blocks shared by backbones, necks and heads."""
from .conv_blocks import BN_CFG, RELU_CFG, DepthwiseSeparableConv, SPPBlock, conv_norm_act

__all__ = ['BN_CFG', 'RELU_CFG', 'conv_norm_act', 'DepthwiseSeparableConv', 'SPPBlock']
