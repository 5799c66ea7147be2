# The 12-epoch run of docs/yolov8.md: yolov8_n_256_small_data.py with the schedule rescaled
# (2 warmup epochs, decay over 12, mosaic closed for the last 3).
#   python tools/train.py configs/yolov8/yolov8_n_256_small_data_12e.py
_base_ = './yolov8_n_256_small_data.py'
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=3)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.01, by_epoch=True, begin=0,
         end=max_epochs),
]
custom_hooks = [
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.0001, gamma=2000,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='SyncNormStatsHook'),
    dict(type='PipelineSwitchHook', last_epochs=3,
         switch_pipeline={{_base_.train_pipeline_stage2}}),
]
default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=1))
