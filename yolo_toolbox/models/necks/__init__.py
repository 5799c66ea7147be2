"""Necks: the original system's SPP + PAN and YOLOv8's C2f PAFPN."""
from .yolo_spp_pan import YOLOSPPPAN
from .yolov8_pafpn import YOLOv8PAFPN

__all__ = ['YOLOSPPPAN', 'YOLOv8PAFPN']
