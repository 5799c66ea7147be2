"""A tiny training config for engine / tool tests: the demo model (nearby grid, ``yolo_demo_nearby.py``) at 128 px on a small
synthetic set, batch 4, no worker processes, 1-2 epochs in a few seconds on a CPU."""
import os.path as osp
from typing import Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = osp.join(REPO, 'configs', 'demo', 'yolo_demo_nearby.py')

_TEMPLATE = '''_base_ = {base!r}
data_root = {data_root!r}
img_scale = ({img_size}, {img_size})
max_epochs = {max_epochs}
warmup_epochs = {warmup_epochs}
# keep every box (top 100 after NMS): an untrained model still gets a small non-zero mAP
model = dict(bbox_head=dict(test_cfg=dict(score_thr=0.0)))
pre_transform = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
train_pipeline = [
    *pre_transform,
    dict(type='Mosaic', img_scale=img_scale, prob=0.5, pre_transform=pre_transform),
    dict(type='Letterbox', scale=img_scale),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Letterbox', scale=img_scale),
    dict(type='LoadAnnotations'),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(batch_size={batch_size}, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size={batch_size}, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=max_epochs, val_interval={val_interval})
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, T_max=max_epochs - warmup_epochs, convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=-1))
randomness = dict(seed=0, deterministic=False)
'''


def write_tiny_config(out_dir: str, data_root: str, max_epochs: int = 2,
                      warmup_epochs: int = 1, img_size: int = 128, batch_size: int = 4,
                      val_interval: Optional[int] = None, extra: str = '') -> str:
    """Write ``tiny.py`` (inheriting ``configs/demo/yolo_demo_nearby.py``) into ``out_dir``.

    Args:
        out_dir: folder for the config file.
        data_root: folder that holds ``VOC2007/`` (``make_demo_dataset``'s ``out_dir``).
        max_epochs: training epochs; validation runs after the last one by default.
        warmup_epochs: epochs of linear LR warmup before the cosine part.
        img_size: square network input in pixels.
        batch_size: images per process per iteration (train and val).
        val_interval: validate every this many epochs (default: ``max_epochs``).
        extra: config lines appended verbatim (e.g. ``'sync_bn = "torch"'``).

    Returns:
        The config's path.
    """
    text = _TEMPLATE.format(
        base=DEMO_CONFIG, data_root=data_root.rstrip('/') + '/', img_size=img_size,
        max_epochs=max_epochs, warmup_epochs=warmup_epochs, batch_size=batch_size,
        val_interval=val_interval or max_epochs)
    path = osp.join(out_dir, 'tiny.py')
    with open(path, 'w') as f:
        f.write(text + extra)
    return path
