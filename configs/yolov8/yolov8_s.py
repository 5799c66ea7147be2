# YOLOv8-s (Ultralytics' yolov8s.yaml: 11.2M params, 28.6 GFLOPs at 640 and 80 classes) on
# VOC 07+12 at 640x640, with the reference's recipe: mosaic, closed for the last 10 epochs;
# SGD lr 0.01, momentum 0.937 (warmed up from 0.8), weight decay 5e-4 on conv weights; 3
# warmup epochs, then the LR decays linearly to 0.01x; EMA of the weights.
# Deviations (each a key below): Ultralytics' 64-image nominal batch (gradient accumulation)
# is not reproduced (16 images per step, loss x images per step as MMYOLO); its random
# affine is RandomScale + crop (no translation / shear); HSV jitter is ColorJitter; the NMS
# keeps one label per box (Ultralytics' validation is multi-label).
#   python tools/train.py configs/yolov8/yolov8_s.py
_base_ = ['../_base_/datasets/voc0712.py', '../_base_/default_runtime.py']

num_classes = 20
deepen_factor = 0.33
widen_factor = 0.5
last_stage_out_channels = 1024
img_scale = (640, 640)  # (W, H)
max_epochs = 100  # Ultralytics' default
close_mosaic_epochs = 10
warmup_epochs = 3
base_lr = 0.01
lr_factor = 0.01  # final LR = base_lr * lr_factor
weight_decay = 0.0005
batch_size = 16

model = dict(
    type='YOLODetector',
    data_preprocessor=dict(
        type='YOLODataPreprocessor', mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0],
        bgr_to_rgb=True, channels_last=True),
    backbone=dict(type='YOLOv8CSPDarknet', deepen_factor=deepen_factor,
                  widen_factor=widen_factor, last_stage_out_channels=last_stage_out_channels),
    neck=dict(type='YOLOv8PAFPN', deepen_factor=deepen_factor),
    bbox_head=dict(
        type='YOLOv8Head',
        num_classes=num_classes,
        strides=(8, 16, 32),
        bbox_coder=dict(type='DistancePointBBoxCoder', reg_max=16),
        assigner=dict(type='TaskAlignedAssigner', topk=10, alpha=0.5, beta=6.0),
        loss_cls=dict(type='FocalLoss', gamma=0.0),
        loss_bbox=dict(type='IoULoss', mode='ciou'),
        loss_dfl=dict(type='DistributionFocalLoss'),
        lambda_cls=0.5, lambda_box=7.5, lambda_dfl=1.5,
        scale_by_batch=True,
        test_cfg=dict(score_thr=0.001, nms_iou_thr=0.7, max_per_img=300, nms_pre=30000)))

pre_transform = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
# random scale 0.5-1.5, HSV-like jitter, horizontal flip (Ultralytics' scale, hsv_*, fliplr)
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
# the last close_mosaic_epochs: the same without mosaic
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
train_dataloader = dict(batch_size=batch_size, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(max_dets=300)
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.937, weight_decay=weight_decay,
                   nesterov=True),
    # weight decay on conv weights only, as Ultralytics' parameter groups
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='LinearMomentum', start_factor=0.8 / 0.937, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=lr_factor, by_epoch=True, begin=0,
         end=max_epochs),
]
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)

custom_hooks = [
    # Ultralytics' ModelEMA: decay 0.9999 ramped up over ~2000 updates
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.0001, gamma=2000,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='SyncNormStatsHook'),
    dict(type='PipelineSwitchHook', last_epochs=close_mosaic_epochs,
         switch_pipeline=train_pipeline_stage2),
]
