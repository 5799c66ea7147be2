"""Necks: the original system's SPP + PAN."""
from .yolo_spp_pan import YOLOSPPPAN

__all__ = ['YOLOSPPPAN']
