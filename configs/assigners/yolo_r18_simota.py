# Label-assignment comparison, SimOTA row (YOLOX): centre prior of 2.5 cells, cost = class
# BCE + 3 * -log IoU of the predicted boxes, dynamic k from the top-10 IoUs; soft
# (IoU) objectness targets.
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(assigner=dict(
    _delete_=True, type='SimOTAAssigner', center_radius=2.5, candidate_topk=10,
    iou_weight=3.0)))
