# Pretraining table: ResNet-34 x0.75, trained from scratch (no pretrained weights).
_base_ = '../yolo_r18_nearby.py'
model = dict(backbone=dict(depth=34, channel_sparsity=0.75, pretrained=None))
