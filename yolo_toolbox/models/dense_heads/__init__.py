from .yolo_head import COCO_ANCHORS, YOLOHead

__all__ = ['COCO_ANCHORS', 'YOLOHead']
