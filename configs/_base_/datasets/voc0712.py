# Pascal VOC: train on VOC2007 + VOC2012 trainval, validate on VOC2007 test.
dataset_type = 'VOCDataset'
data_root = 'data/VOCdevkit/'
train_years = ('VOC2007', 'VOC2012')
val_years = ('VOC2007', )
img_scale = (512, 512)  # (W, H) of the network input
difficult_as_gt = False  # True: 'difficult' objects count as ordinary GT (the original system)

# the original system's augmentations (albumentations), each a config key
mosaic_prob = 1.0
random_scale = (-0.5, 1.0)
perspective = dict(scale=(0.05, 0.1), p=0.0)
rotate = dict(limit=(-90, 90), p=0.0)
color_jitter = dict(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.0)
hflip_prob = 0.5
min_box_area = 10  # pixels; boxes smaller after augmentation are dropped
min_visibility = 0.01

pre_transform = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
]
train_pipeline = [
    *pre_transform,
    dict(type='Mosaic', img_scale=img_scale, prob=mosaic_prob, pre_transform=pre_transform),
    dict(type='Albu',
         transforms=[
             dict(type='RandomScale', scale_limit=random_scale),
             dict(type='Perspective', **perspective),
             dict(type='Rotate', **rotate),
             dict(type='PadIfNeeded', min_height=img_scale[1], min_width=img_scale[0],
                  border_mode=0, fill=0),
             dict(type='RandomCrop', height=img_scale[1], width=img_scale[0]),
             dict(type='ColorJitter', **color_jitter),
             dict(type='HorizontalFlip', p=hflip_prob),
         ],
         bbox_params=dict(format='pascal_voc', min_area=min_box_area,
                          min_visibility=min_visibility)),
    dict(type='Letterbox', scale=img_scale),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Letterbox', scale=img_scale),
    # after the letterbox: GT stays in original-image pixels for the metric
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
    batch_size=24,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        years=train_years,
        split='trainval',
        difficult_as_gt=difficult_as_gt,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        years=val_years,
        split='test',
        difficult_as_gt=difficult_as_gt,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# COCO-style mAP@0.5 and mAP@0.5:0.95; backend='pycocotools' is the alternative
val_evaluator = dict(type='CocoStyleMetric', backend='faster_coco_eval', max_dets=300)
test_evaluator = val_evaluator
