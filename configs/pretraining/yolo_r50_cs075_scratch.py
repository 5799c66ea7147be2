# Pretraining table: ResNet-50 x0.75, trained from scratch (no pretrained weights).
_base_ = '../yolo_r18_nearby.py'
model = dict(backbone=dict(depth=50, channel_sparsity=0.75, pretrained=None))
