# Label-assignment comparison, ATSS row (the paper): per scale the 9 anchors nearest the
# GT centre, IoU >= mean + std over all scales, centre inside the GT; centerness as the
# objectness (quality) target and box-loss weight. Positives can lie anywhere in a box,
# so the box coder is YOLOX's unbounded one (sizes relative to the anchors).
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(
    assigner=dict(_delete_=True, type='ATSSAssigner', topk=9, quality='centerness'),
    bbox_coder=dict(_delete_=True, type='YOLOXBBoxCoder', wh_base='anchor')))
