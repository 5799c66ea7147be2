from .post_processing import PostProcessMixin, batched_nms, dets_to_instances, rescale_boxes
from .yolo_head import COCO_ANCHORS, YOLOHead
from .yolov8_head import YOLOv8Head

__all__ = ['COCO_ANCHORS', 'PostProcessMixin', 'YOLOHead', 'YOLOv8Head', 'batched_nms',
           'dets_to_instances', 'rescale_boxes']
