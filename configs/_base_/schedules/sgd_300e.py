# SGD alternative: momentum 0.9, weight decay 1e-4 (not on norms and biases), LR 0.01.
max_epochs = 300
warmup_epochs = 3
base_lr = 0.01

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# mixed precision where it is free: on CUDA bf16 where supported, else fp16 with dynamic
# loss scaling; on a CPU with native bf16 (AVX512-BF16 / AMX) bf16 autocast; fp32 on other
# CPUs. amp=False (tools/train.py --fp32) for fp32 everywhere (engine/optim_wrappers.py)
optim_wrapper = dict(
    type='AutoAmpOptimWrapper', amp=True, dtype='auto',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=1e-4, nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.04, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, T_max=max_epochs - warmup_epochs, convert_to_iter_based=True),
]

auto_scale_lr = dict(enable=False, base_batch_size=24)
