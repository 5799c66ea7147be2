# Label-assignment comparison, ATSS row: per scale the 9 anchors nearest the GT centre,
# IoU >= mean + std over all scales, centre inside the GT (reach [-1, 2)).
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(assigner=dict(_delete_=True, type='ATSSAssigner', topk=9)))
