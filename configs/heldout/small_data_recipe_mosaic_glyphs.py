# The candidate recipe not chosen: small_data_recipe_glyphs.py plus mosaic (p 0.5), random
# scale and colour jitter (docs/results.md). Measured at 44 epochs on data/ablation_glyphs.
_base_ = './small_data_recipe_glyphs.py'
max_epochs = 44
train_cfg = dict(max_epochs=max_epochs, val_interval=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
pre_transform = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
train_pipeline = [
    *pre_transform,
    dict(type='Mosaic', img_scale={{_base_.img_scale}}, prob=0.5, pre_transform=pre_transform),
    dict(type='Albu',
         transforms=[
             dict(type='RandomScale', scale_limit=(-0.3, 0.3)),
             dict(type='PadIfNeeded', min_height=320, min_width=320, border_mode=0, fill=0),
             dict(type='RandomCrop', height=320, width=320),
             dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.0),
             dict(type='HorizontalFlip', p=0.5),
         ],
         bbox_params=dict(format='pascal_voc', min_area=10, min_visibility=0.1)),
    dict(type='Letterbox', scale={{_base_.img_scale}}),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
