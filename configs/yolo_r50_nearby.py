# Backbone table, ResNet-50 x0.75 row (original: 36.49M params, mAP@0.5 0.761).
_base_ = './yolo_r18_nearby.py'
model = dict(backbone=dict(depth=50))
