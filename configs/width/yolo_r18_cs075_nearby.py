# Width table, ResNet-18 channel_sparsity 0.75 row (= the default recipe).
_base_ = '../yolo_r18_nearby.py'
