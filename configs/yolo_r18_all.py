# Label-assignment table, all-grid row (original: mAP@0.5 0.662, mAP@0.5:0.95 0.429).
_base_ = './yolo_r18_nearby.py'
model = dict(bbox_head=dict(assigner=dict(type='AllGridAssigner')))
