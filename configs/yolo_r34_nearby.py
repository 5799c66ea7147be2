# Backbone table, ResNet-34 x0.75 row (original: 13.45M params, mAP@0.5 0.742).
_base_ = './yolo_r18_nearby.py'
model = dict(backbone=dict(depth=34))
