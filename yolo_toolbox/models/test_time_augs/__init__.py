from .yolo_tta_model import YOLOTTAModel

__all__ = ['YOLOTTAModel']
