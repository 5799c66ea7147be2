# Label-assignment comparison, SimOTA row (YOLOX's get_assignments): candidates in a GT box
# or its 2.5-stride centre region, cost = class BCE + 3 * -log IoU (+1e5 unless in both),
# dynamic k from the top-10 IoUs over the image's candidates; YOLOX's targets: objectness 1
# for a positive, its IoU as the class target (cls_target_on='class'), every loss summed
# and divided by the number of positives (the assigner declares loss_normalizer='num_pos'),
# box loss weight 5 as YOLOX.
# Positives can lie anywhere in a box: YOLOX's unbounded coder.
_base_ = '../yolo_r18_nearby.py'
model = dict(bbox_head=dict(
    assigner=dict(_delete_=True, type='SimOTAAssigner', center_radius=2.5,
                  candidate_topk=10, iou_weight=3.0),
    bbox_coder=dict(_delete_=True, type='YOLOXBBoxCoder', wh_base='anchor'),
    # the losses and init its quality targets were made for (plain BCE, prediction convs
    # with a bias at a 1 % prior, as YOLOX): with the original's focal gamma 3.5 and
    # bias-free convs, untrained negatives outranked the positives (docs/assigners.md)
    loss_obj=dict(type='FocalLoss', gamma=0.0), loss_cls=dict(type='FocalLoss', gamma=0.0),
    conv_bias=True, prior_prob=0.01,
    cls_target_on='class', lambda_obj=1.0, lambda_cls=1.0, lambda_coord=5.0))
