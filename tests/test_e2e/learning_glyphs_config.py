# The glyphs learning test's config (tests/test_e2e/test_learning.py): the original system's
# recipe on a cluttered glyphs set (configs/heldout/original_recipe_glyphs.py: ResNet-18
# x0.25, nearby grid, 320 px, batch 16, Adam 1e-3 constant, letterbox + flip, no EMA) for
# 12 epochs of 600 images = 456 steps. data_root is set by the test (or --cfg-options).
_base_ = '../../configs/heldout/original_recipe_glyphs.py'
max_epochs = 12
train_dataloader = dict(num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
# fp32 pinned (issue 18): the base schedules default to bf16 autocast on CPUs with native
# bf16; this test's bars were measured in fp32, so it keeps fp32 on every machine
optim_wrapper = dict(amp=False)
