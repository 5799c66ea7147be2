# Width table, ResNet-18 channel_sparsity 0.5 row.
_base_ = '../yolo_r18_nearby.py'
model = dict(backbone=dict(channel_sparsity=0.5))
