# The original system's recipe on the held-out "glyphs" set, as the quality issue measured
# it: ResNet-18 x0.25, nearby grid, 320x320, batch 16, from scratch, Adam 1e-3 constant,
# letterbox + horizontal flip only, no EMA. Not tuned on: this set judges learning.
#   python tools/misc/make_heldout_dataset.py data/heldout_glyphs --kind glyphs
#   python tools/train.py configs/heldout/original_recipe_glyphs.py
_base_ = '../yolo_r18_nearby.py'

data_root = 'data/heldout_glyphs/'
classes = ('A', 'H', 'S', '4', 'X')  # = tools/misc/synthetic_data HELDOUT_CLASSES['glyphs']
img_scale = (320, 320)
max_epochs = 31

model = dict(
    backbone=dict(channel_sparsity=0.25),
    bbox_head=dict(num_classes=len(classes), test_cfg=dict(max_per_img=100)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Letterbox', scale=img_scale),
    dict(type='Albu', transforms=[dict(type='HorizontalFlip', p=0.5)],
         bbox_params=dict(format='pascal_voc', min_area=0, min_visibility=0.0)),
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
    batch_size=16, num_workers=2,
    dataset=dict(data_root=data_root, years=('VOC2007', ), metainfo=dict(classes=classes),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=1,
    dataset=dict(data_root=data_root, years=('VOC2007', ), metainfo=dict(classes=classes),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(max_dets=100)
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = []  # constant LR
custom_hooks = [dict(type='SyncNormStatsHook')]  # no EMA
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=5, max_keep_ckpts=1))
randomness = dict(seed=0)
