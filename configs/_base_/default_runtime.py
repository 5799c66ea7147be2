default_scope = 'yolo_toolbox'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the last 3 and the best by mAP@0.5; written atomically (temporary file, fsync,
    # rename: a run killed during a save leaves the previous checkpoint intact)
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3,
                    save_best='det/mAP_50', rule='greater',
                    backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook', draw=False),
    # refuse a load_from / resume / test checkpoint whose tensors do not fit the model
    # (num_classes 5 vs 4); to fine-tune on another class count, with load_from:
    # checkpoint_fit=dict(skip_prefixes=['bbox_head.'])  (docs/robustness.md)
    checkpoint_fit=dict(type='CheckpointFitHook'),
    # unknown arguments of hooks that take **kwargs (CheckpointHook, EMAHook) are errors
    hook_args_check=dict(type='HookArgsCheckHook'),
    # a NaN/inf loss: the step is not applied and the run stops naming the last good
    # checkpoint; action='skip' (tools/train.py --on-nonfinite-loss skip) skips and counts
    nonfinite_loss=dict(type='NonFiniteLossHook', action='stop', max_skips=100))

# EMA of the weights (validation and the best checkpoint use the EMA weights); the momentum
# anneals from 1 to `momentum` as gamma / (gamma + steps), as YOLOv5 warms its EMA up
custom_hooks = [
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.0002, gamma=1000,
         update_buffers=True,
         strict_load=False, priority=49),
    # average BatchNorm statistics (model and EMA) across ranks before checkpoints are saved
    dict(type='SyncNormStatsHook'),
]

# GPU speed-ups, each where it is used: AMP in optim_wrapper (AutoAmpOptimWrapper, base
# schedules), channels_last in model.data_preprocessor, cudnn.benchmark here (no effect
# on a CPU; randomness.deterministic=True turns it off)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
# smooth the per-scale loss parts and num_pos too, not only keys containing 'loss'
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True,
                     mean_pattern=r'.*(loss|time|data_time|grad_norm|_s\d+|num_pos|'
                                  r'pos_per_gt|gts_no_pos).*')

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)

# test-time augmentation (tools/test.py --tta, mmengine's convention: the model becomes
# dict(**tta_model, module=model) and the test pipeline tta_pipeline, in the dataset
# configs): each pass's detections fused across passes ('fuse') or all boxes through one
# NMS ('nms', YOLOv5's --augment)
tta_model = dict(type='YOLOTTAModel', merge_mode='fuse', size_divisor=32)
