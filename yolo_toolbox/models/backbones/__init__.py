"""Backbones: ResNet (torchvision, narrowed by channel_sparsity), Darknet-53 and YOLOv8's
CSP-Darknet."""
from .csp_darknet import YOLOv8CSPDarknet
from .darknet import Darknet
from .resnet import ResNet

__all__ = ['ResNet', 'Darknet', 'YOLOv8CSPDarknet']
