# The demo: a small YOLO (ResNet-18 x0.25, 256 px) on the synthetic set that
# tools/misc/make_demo_dataset.py writes, trained with the recommended small-data recipe
# (letterbox + flip, Adam at a constant LR 1e-3, EMA of the weights) and the recommended
# assigner, ATSS (docs/assigners.md, "The sweep on both held-out sets": ahead of the nearby
# grid by more than the seed spread on both held-out sets). 30 epochs: under 2 minutes of
# training on 2 CPU cores (docs/results.md, "What does the demo config reach").
#   python tools/misc/make_demo_dataset.py data/demo
#   python tools/train.py configs/demo/yolo_demo.py
# The same model with the original's nearby-grid assigner: yolo_demo_nearby.py.
_base_ = './yolo_demo_nearby.py'

max_epochs = 30

# ATSS with its reference targets and loss weights, as configs/assigners/yolo_r18_atss.py:
# centerness as the objectness (quality) target and box-loss weight, losses over the number
# of positives (declared by the assigner), box loss x2, YOLOX's unbounded box coder, plain
# BCE and prediction convs biased to a 1 % prior
model = dict(bbox_head=dict(
    assigner=dict(_delete_=True, type='ATSSAssigner', topk=9, quality='centerness'),
    bbox_coder=dict(_delete_=True, type='YOLOXBBoxCoder', wh_base='anchor'),
    loss_obj=dict(type='FocalLoss', gamma=0.0), loss_cls=dict(type='FocalLoss', gamma=0.0),
    conv_bias=True, prior_prob=0.01, lambda_obj=1.0, lambda_cls=1.0, lambda_coord=2.0))

train_cfg = dict(max_epochs=max_epochs, val_interval=10)
