# YOLOv8-n at 256x256 for small CPU-sized sets in VOC layout (here the synthetic demo set:
# python tools/misc/make_demo_dataset.py data/demo). Set data_root / classes and
# model.bbox_head.num_classes for your set, and the epochs with train_cfg.max_epochs.
#   python tools/train.py configs/yolov8/yolov8_n_256_small_data.py
# The recipe is what Ultralytics picks by itself for short runs (its optimizer 'auto':
# AdamW, lr ~ 0.002 * 5 / (4 + num_classes), momentum 0.9) with its schedule (3 warmup
# epochs, linear decay to 0.01x, mosaic closed for the last 10 epochs) and EMA; mosaic at
# p=1 as the reference. Not tuned further here (docs/yolov8.md).
_base_ = './yolov8_n.py'

data_root = 'data/demo/'
classes = ('ellipse', 'rectangle', 'triangle', 'star')  # = DEMO_CLASSES, tools/misc/synthetic_data
img_scale = (256, 256)
max_epochs = 40
close_mosaic_epochs = 10
warmup_epochs = 3
base_lr = 0.001

model = dict(bbox_head=dict(num_classes=len(classes), bias_init_img_size=img_scale[0]))

pre_transform = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
albu_train = [
    dict(type='RandomScale', scale_limit=(-0.5, 0.5)),
    dict(type='PadIfNeeded', min_height=img_scale[1], min_width=img_scale[0], border_mode=0,
         fill=114),
    dict(type='RandomCrop', height=img_scale[1], width=img_scale[0]),
    dict(type='ColorJitter', brightness=0.4, contrast=0.0, saturation=0.7, hue=0.015),
    dict(type='HorizontalFlip', p=0.5),
]
bbox_params = dict(format='pascal_voc', min_area=4, min_visibility=0.1)
train_pipeline = [
    *pre_transform,
    dict(type='Mosaic', img_scale=img_scale, prob=1.0, pre_transform=pre_transform, pad_val=114),
    dict(type='Albu', transforms=albu_train, bbox_params=bbox_params),
    dict(type='Letterbox', scale=img_scale),
    dict(type='PackDetInputs'),
]
train_pipeline_stage2 = [
    *pre_transform,
    dict(type='Letterbox', scale=img_scale),
    dict(type='Albu', transforms=albu_train, bbox_params=bbox_params),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Letterbox', scale=img_scale),
    dict(type='LoadAnnotations'),
    dict(type='PackDetInputs'),
]
# test-time augmentation (tools/test.py --tta; mmengine's tta_pipeline): the test
# pipeline with its packing once per pass; a TTAPass names the pass (the network input
# scaled by `scale`, rounded up to a multiple of 32, and flipped left-right with `flip`),
# which tta_model (default_runtime.py) applies and merges
tta_pipeline = [
    *test_pipeline[:-1],
    dict(type='TestTimeAug', transforms=[
        [dict(type='TTAPass', scale=0.83, flip=False), dict(type='TTAPass', scale=0.83, flip=True),
         dict(type='TTAPass', scale=1.0, flip=False), dict(type='TTAPass', scale=1.0, flip=True),
         dict(type='TTAPass', scale=1.17, flip=False), dict(type='TTAPass', scale=1.17, flip=True)],
        [dict(test_pipeline[-1],
              meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                         'pad_param', 'tta_scale', 'tta_flip'))]]),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(data_root=data_root, years=('VOC2007', ), split='trainval',
                 metainfo=dict(classes=classes), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(data_root=data_root, years=('VOC2007', ), split='test',
                 metainfo=dict(classes=classes), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(max_dets=100)
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=max_epochs, val_interval=10)
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=base_lr, betas=(0.9, 0.999),
                   weight_decay=0.0005),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.01, by_epoch=True, begin=0,
         end=max_epochs),
]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10, max_keep_ckpts=2))
custom_hooks = [
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.0001, gamma=2000,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='SyncNormStatsHook'),
    dict(type='PipelineSwitchHook', last_epochs=close_mosaic_epochs,
         switch_pipeline=train_pipeline_stage2),
]
randomness = dict(seed=0)
