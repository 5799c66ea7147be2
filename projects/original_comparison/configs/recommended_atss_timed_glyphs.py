# The recommended small-data recipe with ATSS (configs/heldout/recommended_recipe_atss_glyphs.py:
# ResNet-18 x0.25, 320², Adam 1e-3 constant, EMA, bf16 autocast where native, 40 epochs),
# validated every 5 epochs, each epoch's training seconds in <work_dir>/epoch_times.json:
# our side of the equal-time comparison with the original (equal_time.py).
#   OMP_NUM_THREADS=1 python tools/train.py projects/original_comparison/configs/recommended_atss_timed_glyphs.py \
#       --work-dir work_dirs/eqtime_original/glyphs/ours
_base_ = '../../../configs/heldout/recommended_recipe_atss_glyphs.py'
custom_imports = dict(imports=['projects.ultralytics_comparison.epoch_timer'],
                      allow_failed_imports=False)

train_cfg = dict(val_interval=5)
default_hooks = dict(checkpoint=dict(interval=40, max_keep_ckpts=1))
custom_hooks = [
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.01, gamma=50,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='SyncNormStatsHook'),
    dict(type='EpochTrainTimeHook'),
]
