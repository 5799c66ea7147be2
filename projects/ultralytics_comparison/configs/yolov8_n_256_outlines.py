# Our YOLOv8-n small-data config (configs/yolov8/yolov8_n_256_small_data.py: 256², batch 16,
# 40 epochs, AdamW as Ultralytics' 'auto', 3 warmup epochs, mosaic closed for the last 10,
# EMA) on the held-out outlines set as prepare_data.py lays it out, validated every epoch,
# a checkpoint every epoch, training time per epoch in <work_dir>/epoch_times.json.
#   python projects/ultralytics_comparison/prepare_data.py /work/main/data/heldout_outlines \
#       work_dirs/ultra22/outlines/data --classes ring cross arrow checker crescent
#   python tools/train.py projects/ultralytics_comparison/configs/yolov8_n_256_outlines.py \
#       --work-dir work_dirs/ultra22/outlines/ours
_base_ = '../../../configs/yolov8/yolov8_n_256_small_data.py'
custom_imports = dict(imports=['projects.ultralytics_comparison.epoch_timer'],
                      allow_failed_imports=False)

data_root = 'work_dirs/ultra22/outlines/data/voc/'  # prepare_data.py's OUT/voc/
# = HELDOUT_CLASSES['outlines'] of tools/misc/synthetic_data
classes = ('ring', 'cross', 'arrow', 'checker', 'crescent')

model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
test_dataloader = val_dataloader

train_cfg = dict(val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=-1))
custom_hooks = [
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.0001, gamma=2000,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='SyncNormStatsHook'),
    dict(type='PipelineSwitchHook', last_epochs={{_base_.close_mosaic_epochs}},
         switch_pipeline={{_base_.train_pipeline_stage2}}),
    dict(type='EpochTrainTimeHook'),
]
