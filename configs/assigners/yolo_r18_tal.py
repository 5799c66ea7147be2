# Label-assignment comparison, task-aligned row (YOLOv8's TaskAlignedAssigner): top-10 of
# score^0.5 * CIoU^6 among the slots whose centre is inside the GT box; the normalised
# alignment is the quality target (learned through the objectness, which like YOLOv8's
# class BCE covers every slot) and the box-loss weight; every loss divided by the sum of the
# score targets (the assigner declares loss_normalizer='target_sum'); YOLOv8's loss weights
# (class 0.5, box 7.5).
# Positives can lie anywhere in a box: YOLOX's unbounded coder.
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(
    assigner=dict(_delete_=True, type='TaskAlignedAssigner', topk=10, alpha=0.5, beta=6.0,
                  iou_type='ciou'),
    bbox_coder=dict(_delete_=True, type='YOLOXBBoxCoder', wh_base='anchor'),
    # the losses and init its quality targets were made for (plain BCE, prediction convs
    # with a bias at a 1 % prior, as YOLOX; YOLOv8's class BCE covers every slot): with the
    # original's focal gamma 3.5 and bias-free convs, untrained negatives outranked the
    # positives (docs/assigners.md)
    loss_obj=dict(type='FocalLoss', gamma=0.0), loss_cls=dict(type='FocalLoss', gamma=0.0),
    conv_bias=True, prior_prob=0.01,
    lambda_obj=0.5, lambda_cls=0.5, lambda_coord=7.5))
