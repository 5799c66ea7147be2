# Label-assignment comparison, task-aligned row (YOLOv8's TaskAlignedAssigner): top-10 of
# score^0.5 * CIoU^6 among the slots whose centre is inside the GT box; the normalised
# alignment is the class target and the box-loss weight, objectness target 1.
# Positives can lie anywhere in a box: YOLOX's unbounded coder.
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(
    assigner=dict(_delete_=True, type='TaskAlignedAssigner', topk=10, alpha=0.5, beta=6.0,
                  iou_type='ciou'),
    bbox_coder=dict(_delete_=True, type='YOLOXBBoxCoder', wh_base='anchor')))
