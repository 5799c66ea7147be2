# A small YOLO (ResNet-18 x0.25, 256 px, nearby grid) on the synthetic demo set that
# tools/misc/make_demo_dataset.py writes. Trains in minutes on a laptop CPU.
#   python tools/misc/make_demo_dataset.py data/demo
#   python tools/train.py configs/demo/yolo_demo.py
_base_ = '../yolo_r18_nearby.py'

data_root = 'data/demo/'
classes = ('ellipse', 'rectangle', 'triangle', 'star')  # = yolo_toolbox.datasets.DEMO_CLASSES
img_scale = (256, 256)
max_epochs = 40
warmup_epochs = 2
base_lr = 0.002

model = dict(
    backbone=dict(channel_sparsity=0.25),
    bbox_head=dict(num_classes=len(classes),
                   test_cfg=dict(max_per_img=100)))

pre_transform = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
train_pipeline = [
    *pre_transform,
    dict(type='Mosaic', img_scale=img_scale, prob=0.5, pre_transform=pre_transform),
    dict(type='Albu',
         transforms=[
             dict(type='RandomScale', scale_limit=(-0.3, 0.3)),
             dict(type='PadIfNeeded', min_height=img_scale[1], min_width=img_scale[0],
                  border_mode=0, fill=0),
             dict(type='RandomCrop', height=img_scale[1], width=img_scale[0]),
             dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.0),
             dict(type='HorizontalFlip', p=0.5),
         ],
         bbox_params=dict(format='pascal_voc', min_area=10, min_visibility=0.1)),
    dict(type='Letterbox', scale=img_scale),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Letterbox', scale=img_scale),
    dict(type='LoadAnnotations'),
    dict(type='PackDetInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(data_root=data_root, years=('VOC2007', ), metainfo=dict(classes=classes),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(data_root=data_root, years=('VOC2007', ), metainfo=dict(classes=classes),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(max_dets=100)
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=max_epochs, val_interval=10)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, T_max=max_epochs - warmup_epochs, convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10, max_keep_ckpts=2))
custom_hooks = [
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.01, gamma=50,
         update_buffers=True,
         strict_load=False, priority=49),
    dict(type='SyncNormStatsHook'),
]
randomness = dict(seed=0)
