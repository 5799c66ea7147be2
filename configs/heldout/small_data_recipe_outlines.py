# The small-data recipe candidate (configs/heldout/small_data_recipe_glyphs.py) on the
# held-out "outlines" set (docs/results.md).
_base_ = './small_data_recipe_glyphs.py'

data_root = 'data/heldout_outlines/'
# = tools/misc/synthetic_data HELDOUT_CLASSES['outlines']
classes = ('ring', 'cross', 'arrow', 'checker', 'crescent')

model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
test_dataloader = val_dataloader
