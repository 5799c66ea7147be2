# YOLOv8-n (Ultralytics' yolov8n.yaml: 3.2M params, 8.7 GFLOPs at 640 and 80 classes), the
# recipe of yolov8_s.py.
#   python tools/train.py configs/yolov8/yolov8_n.py
_base_ = './yolov8_s.py'

deepen_factor = 0.33
widen_factor = 0.25
model = dict(
    backbone=dict(deepen_factor=deepen_factor, widen_factor=widen_factor),
    neck=dict(deepen_factor=deepen_factor))
