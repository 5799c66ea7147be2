# Backbone table, Darknet-53 x0.75 row (original: 28.68M params, mAP@0.5 0.737; not pretrained).
_base_ = './yolo_r18_nearby.py'
model = dict(backbone=dict(_delete_=True, type='Darknet', arch='darknet53', channel_sparsity=0.75))
