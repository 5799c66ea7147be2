from .base_bbox_coder import BaseBBoxCoder, CoderMismatchError
from .distance_point_bbox_coder import DistancePointBBoxCoder
from .yolo_bbox_coder import YOLOBBoxCoder
from .yolox_bbox_coder import YOLOXBBoxCoder

__all__ = ['BaseBBoxCoder', 'CoderMismatchError', 'DistancePointBBoxCoder', 'YOLOBBoxCoder',
           'YOLOXBBoxCoder']
