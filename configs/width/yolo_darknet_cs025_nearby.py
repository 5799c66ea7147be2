# Width table, Darknet channel_sparsity 0.25 row (not pretrained).
_base_ = '../yolo_darknet_nearby.py'
model = dict(backbone=dict(channel_sparsity=0.25))
