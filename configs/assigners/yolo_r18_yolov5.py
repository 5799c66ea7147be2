# Label-assignment comparison, YOLOv5 row: width/height ratio < 4, GT cell + 2 nearest
# neighbours (YOLOv5's build_targets); centre decoded as 2 * sigmoid - 0.5 (reach [-0.5, 1.5)).
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(
    assigner=dict(_delete_=True, type='YOLOv5Assigner', anchor_t=4.0),
    bbox_coder=dict(centre_reach=(-0.5, 1.5), squash='sigmoid')))
