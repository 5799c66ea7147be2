from .bbox import (
    aligned_box_iou,
    box_area,
    box_iou,
    broadcast_box_iou,
    cxcywh_to_xyxy,
    shape_iou,
    xyxy_to_cxcywh,
)
from .det_data_sample import DetDataSample, stack_gt_instances

__all__ = ['DetDataSample', 'aligned_box_iou', 'box_area', 'box_iou', 'broadcast_box_iou',
           'cxcywh_to_xyxy', 'shape_iou', 'stack_gt_instances', 'xyxy_to_cxcywh']
