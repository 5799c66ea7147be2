# The head axis of the assigner x head table (docs/assigners.md, "Assigner x head"): the
# recommended small-data recipe (ResNet-18 x0.25 + SPP-PAN neck, 320², letterbox + flip,
# Adam 1e-3 constant, EMA, 40 epochs) with YOLOv8's anchor-free decoupled head instead of
# the original's 1x1 anchor head: same backbone, neck, data and schedule, so a sweep over
# assigners on this config and on recommended_recipe_outlines.py differs only by the head.
# The head keeps its distance coder and its own losses (class BCE on every slot, CIoU +
# DFL, divided by the sum of the class targets) for every assigner.
#   python tools/train.py configs/heldout/recommended_recipe_v8head_outlines.py
#   python tools/analysis_tools/assigner_sweep.py configs/heldout/recommended_recipe_v8head_outlines.py \
#       --assigners nearby simota tal atss --epochs 40 --seeds 0 --val-interval 5
_base_ = './recommended_recipe_outlines.py'
model = dict(bbox_head=dict(
    _delete_=True,
    type='YOLOv8Head',
    num_classes={{_base_.model.bbox_head.num_classes}},
    in_channels=(32, 64, 128),  # YOLOSPPPAN's outputs at channel_sparsity 0.25
    strides=(8, 16, 32),
    bbox_coder=dict(type='DistancePointBBoxCoder', reg_max=16),
    assigner=dict(type='TaskAlignedAssigner', topk=10, alpha=0.5, beta=6.0),
    loss_cls=dict(type='FocalLoss', gamma=0.0),
    loss_bbox=dict(type='IoULoss', mode='ciou'),
    loss_dfl=dict(type='DistributionFocalLoss'),
    lambda_cls=0.5, lambda_box=7.5, lambda_dfl=1.5,
    bias_init_img_size=320,
    test_cfg={{_base_.model.bbox_head.test_cfg}}))
