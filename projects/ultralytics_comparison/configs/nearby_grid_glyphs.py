# Our nearby-grid model for the curves: the recommended small-data recipe
# (configs/heldout/recommended_recipe_glyphs.py: ResNet-18 x0.25 + YOLOHead, nearby grid,
# 320², Adam 1e-3 constant, EMA, 40 epochs) on prepare_data.py's layout, validated every
# epoch, training time per epoch in <work_dir>/epoch_times.json.
#   python tools/train.py projects/ultralytics_comparison/configs/nearby_grid_glyphs.py \
#       --work-dir work_dirs/ultra22/glyphs/nearby
_base_ = '../../../configs/heldout/recommended_recipe_glyphs.py'
custom_imports = dict(imports=['projects.ultralytics_comparison.epoch_timer'],
                      allow_failed_imports=False)

data_root = 'work_dirs/ultra22/glyphs/data/voc/'  # prepare_data.py's OUT/voc/
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

train_cfg = dict(val_interval=1)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1))
custom_hooks = [
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.01, gamma=50,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='SyncNormStatsHook'),
    dict(type='EpochTrainTimeHook'),
]
