# The original system's recipe (configs/heldout/original_recipe_glyphs.py) on the held-out
# "outlines" set. Not tuned on: this set judges learning.
#   python tools/misc/make_heldout_dataset.py data/heldout_outlines --kind outlines
#   python tools/train.py configs/heldout/original_recipe_outlines.py
_base_ = './original_recipe_glyphs.py'

data_root = 'data/heldout_outlines/'
# = tools/misc/synthetic_data HELDOUT_CLASSES['outlines']
classes = ('ring', 'cross', 'arrow', 'checker', 'crescent')

model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
test_dataloader = val_dataloader
