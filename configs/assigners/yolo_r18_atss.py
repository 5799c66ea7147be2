# Label-assignment comparison, ATSS row (the paper): per scale the 9 anchors nearest the
# GT centre, IoU >= mean + std over all scales, centre inside the GT; centerness as the
# objectness (quality) target and box-loss weight; losses divided by the number of
# positives, the box loss by the sum of its centerness weights (the assigner declares
# loss_normalizer='num_pos'); box loss weight 2 as the paper. Positives can lie anywhere
# in a box, so the box coder is YOLOX's unbounded one (sizes relative to the anchors).
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(
    assigner=dict(_delete_=True, type='ATSSAssigner', topk=9, quality='centerness'),
    bbox_coder=dict(_delete_=True, type='YOLOXBBoxCoder', wh_base='anchor'),
    # a quality target (centerness) needs negatives pushed low: plain BCE and biased
    # prediction convs at a 1 % prior (the ATSS paper's head has the same prior), as the
    # SimOTA and task-aligned rows (docs/assigners.md)
    loss_obj=dict(type='FocalLoss', gamma=0.0), loss_cls=dict(type='FocalLoss', gamma=0.0),
    conv_bias=True, prior_prob=0.01,
    lambda_obj=1.0, lambda_cls=1.0, lambda_coord=2.0))
