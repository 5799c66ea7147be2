# Label-assignment table, single-grid row (original: mAP@0.5 0.640, mAP@0.5:0.95 0.390).
_base_ = './yolo_r18_nearby.py'
model = dict(bbox_head=dict(
    assigner=dict(type='SingleGridAssigner'),
    # the original's single-grid decoding: centre sigmoid within the GT's own cell
    bbox_coder=dict(centre_reach=(0.0, 1.0), squash='sigmoid')))
