# The original recipe: Adam, 400 epochs, cosine LR with 3 linear warmup epochs.
# The original's LR for Adam is 0.001 per GPU at batch 24 per GPU.
max_epochs = 400
warmup_epochs = 3
base_lr = 0.001

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# mixed precision where it is free: on CUDA bf16 where supported, else fp16 with dynamic
# loss scaling; on a CPU with native bf16 (AVX512-BF16 / AMX) bf16 autocast; fp32 on other
# CPUs. amp=False (tools/train.py --fp32) for fp32 everywhere (engine/optim_wrappers.py)
optim_wrapper = dict(
    type='AutoAmpOptimWrapper', amp=True, dtype='auto',
    optimizer=dict(type='Adam', lr=base_lr, weight_decay=0.0),
    # set norm_decay_mult=0, bias_decay_mult=0 to exempt norms and biases from weight decay
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.04, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, T_max=max_epochs - warmup_epochs, convert_to_iter_based=True),
]

# --auto-scale-lr: LR * (GPUs * batch per GPU) / base_batch_size
auto_scale_lr = dict(enable=False, base_batch_size=24)
