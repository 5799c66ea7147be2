# The demo (configs/demo/yolo_demo.py, ATSS) on the same synthetic images in YOLO format:
#   python tools/misc/make_demo_dataset.py data/demo_yolo --format yolo
#   python tools/train.py configs/demo/yolo_demo_yolo_txt.py
_base_ = './yolo_demo.py'

data_yaml = 'data/demo_yolo/data.yaml'

train_dataloader = dict(dataset=dict(
    _delete_=True, type='YOLOTxtDataset', data_yaml=data_yaml, split='train',
    pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='YOLOTxtDataset', data_yaml=data_yaml, split='val', test_mode=True,
    pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
