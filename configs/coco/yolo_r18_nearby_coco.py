# The default recipe (configs/yolo_r18_nearby.py) on COCO 2017 (80 classes):
#   python tools/misc/download_dataset.py --dataset coco2017 --data-root data --unzip --delete
#   tools/dist_train.sh configs/coco/yolo_r18_nearby_coco.py 8
_base_ = [
    '../_base_/models/yolo_r18.py',
    '../_base_/datasets/coco2017.py',
    '../_base_/schedules/adam_400e.py',
    '../_base_/default_runtime.py',
]
model = dict(bbox_head=dict(num_classes=80))
