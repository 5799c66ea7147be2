from .assign_mixin import AssignHook, AssignMixin
from .post_processing import (
    PostProcessMixin,
    PostProcessor,
    batched_nms,
    class_offset_nms,
    dets_to_instances,
    fuse_pass_detections,
    merge_tta_passes,
    rescale_boxes,
)
from .yolo_head import COCO_ANCHORS, YOLOHead
from .yolov8_head import YOLOv8Head

__all__ = ['AssignHook', 'AssignMixin', 'COCO_ANCHORS', 'PostProcessMixin', 'PostProcessor',
           'YOLOHead', 'YOLOv8Head', 'batched_nms', 'class_offset_nms', 'dets_to_instances',
           'fuse_pass_detections', 'merge_tta_passes', 'rescale_boxes']
