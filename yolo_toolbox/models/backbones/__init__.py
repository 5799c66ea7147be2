"""Backbones: ResNet (torchvision, narrowed by channel_sparsity) and Darknet-53."""
from .darknet import Darknet
from .resnet import ResNet

__all__ = ['ResNet', 'Darknet']
