# The default recipe (configs/yolo_r18_nearby.py) on a dataset in YOLO format, as
# Ultralytics / YOLOv5 lay it out: data.yaml, images/, labels/*.txt (docs/custom_dataset.md).
# Set data_yaml to yours and num_classes to the number of its names, then
#   python tools/train.py configs/yolo_txt/yolo_r18_nearby_yolo_txt.py
_base_ = '../yolo_r18_nearby.py'

data_yaml = 'data/my_dataset/data.yaml'
num_classes = 80  # = len(names) of data_yaml; tools/train.py stops and says so otherwise

model = dict(bbox_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(
    _delete_=True, type='YOLOTxtDataset', data_yaml=data_yaml, split='train',
    pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='YOLOTxtDataset', data_yaml=data_yaml, split='val', test_mode=True,
    pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
