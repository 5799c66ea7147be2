# Pretraining table: ResNet-18 x1.0, trained from scratch (no pretrained weights).
_base_ = '../yolo_r18_nearby.py'
model = dict(backbone=dict(depth=18, channel_sparsity=1.0, pretrained=None))
