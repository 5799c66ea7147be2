# Pretraining table: ResNet-18 x0.5, trained from scratch (no pretrained weights).
_base_ = '../yolo_r18_nearby.py'
model = dict(backbone=dict(depth=18, channel_sparsity=0.5, pretrained=None))
