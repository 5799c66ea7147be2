# COCO 2017 in MMDetection's layout, as tools/misc/download_dataset.py --dataset coco2017
# --unzip writes it: data/coco/{train2017,val2017,annotations/instances_*2017.json}.
# The pipelines and the metric are those of voc0712.py; only the data changes.
_base_ = './voc0712.py'

dataset_type = 'CocoDataset'
data_root = 'data/coco/'

train_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, data_root=data_root,
    ann_file='annotations/instances_train2017.json', data_prefix=dict(img_path='train2017/'),
    filter_cfg=dict(filter_empty_gt=True), pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, data_root=data_root,
    ann_file='annotations/instances_val2017.json', data_prefix=dict(img_path='val2017/'),
    test_mode=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
