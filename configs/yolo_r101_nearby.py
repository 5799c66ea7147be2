# ResNet-101 x0.75 (not in the original's tables).
_base_ = './yolo_r18_nearby.py'
model = dict(backbone=dict(depth=101))
