# The original system's default recipe: ResNet-18 x0.75, nearby-grid assignment, VOC 07+12,
# 512x512, Adam, 400 epochs, batch 24 per GPU, EMA, mosaic. Original: mAP@0.5 0.716.
_base_ = [
    '_base_/models/yolo_r18.py',
    '_base_/datasets/voc0712.py',
    '_base_/schedules/adam_400e.py',
    '_base_/default_runtime.py',
]
