# The recommended small-data recipe (docs/results.md, "The recommended small-data recipe"):
# the original system's recipe (letterbox + flip, Adam 1e-3 constant) with an EMA of the
# weights, 40 epochs. Chosen on data/ablation_glyphs300, reported on this held-out set.
#   python tools/train.py configs/heldout/recommended_recipe_glyphs.py
_base_ = './original_recipe_glyphs.py'
max_epochs = 40
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
custom_hooks = [
    dict(type='EMAHook', ema_type='MomentumAnnealingEMA', momentum=0.01, gamma=50,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='SyncNormStatsHook'),
]
