# Label-assignment comparison, task-aligned row (TOOD): top-13 of score * IoU^6 among the
# slots whose centre is inside the GT; soft (normalised alignment) objectness targets.
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(assigner=dict(
    _delete_=True, type='TaskAlignedAssigner', topk=13, alpha=1.0, beta=6.0)))
