"""Demo-set generator, full pipelines on it, and the two tools (demo CLI, browse_dataset)."""
import os
import os.path as osp
import subprocess
import sys
import time

import cv2
import numpy as np

from tests._tools import DEMO_CLASSES, load_tool, make_demo_dataset
from yolo_toolbox.registry import DATASETS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
W, H = 256, 224
TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Mosaic', img_scale=(W, H), prob=1.0,
         pre_transform=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]),
    dict(type='Albu', transforms=[
        dict(type='RandomScale', scale_limit=(-0.5, 1.0)),
        dict(type='Perspective', scale=(0.05, 0.1), p=0.0),
        dict(type='Rotate', limit=(-90, 90), p=0.0),
        dict(type='PadIfNeeded', min_height=H, min_width=W, border_mode=cv2.BORDER_CONSTANT,
             fill=0),
        dict(type='RandomCrop', height=H, width=W),
        dict(type='ColorJitter', brightness=0.5, contrast=0.5, saturation=0.5, hue=0.0),
        dict(type='HorizontalFlip', p=0.5)],
        bbox_params=dict(format='pascal_voc', min_area=10, min_visibility=0.01)),
    dict(type='Letterbox', scale=(W, H)),
    dict(type='PackDetInputs'),
]
VAL_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Letterbox', scale=(W, H)),
    dict(type='LoadAnnotations'),
    dict(type='PackDetInputs'),
]


def demo_dataset(demo_set, split='trainval', **kwargs):
    return DATASETS.build(dict(type='VOCDataset', data_root=demo_set['data_root'],
                               years=demo_set['years'], split=split,
                               metainfo=dict(classes=DEMO_CLASSES), **kwargs))


def test_demo_set_is_parseable_and_as_described(demo_set):
    assert demo_set['classes'] == DEMO_CLASSES and len(DEMO_CLASSES) == 4
    train, test = demo_dataset(demo_set), demo_dataset(demo_set, 'test', test_mode=True)
    assert (len(train), len(test)) == (8, 4)
    for ds in (train, test):
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            img = cv2.imread(info['img_path'])
            assert img.shape[:2] == (info['height'], info['width'])
            assert 320 <= info['width'] <= 480 and 240 <= info['height'] <= 400
            assert 1 <= len(info['instances']) <= 6
            for inst in info['instances']:
                x1, y1, x2, y2 = inst['bbox']
                assert 0 <= x1 < x2 <= info['width'] and 0 <= y1 < y2 <= info['height']
                assert 8 <= max(x2 - x1, y2 - y1) <= 200


def test_demo_set_is_fast_and_deterministic(tmp_path):
    start = time.time()
    first = make_demo_dataset(str(tmp_path / 'a'), num_train=10, num_val=2, seed=3)
    assert time.time() - start < 2.0
    make_demo_dataset(str(tmp_path / 'b'), num_train=10, num_val=2, seed=3)
    make_demo_dataset(str(tmp_path / 'c'), num_train=10, num_val=2, seed=4)
    ann = osp.join('VOC2007', 'Annotations', '000005.xml')
    read = lambda d: (tmp_path / d / ann).read_text()  # noqa: E731
    assert read('a') == read('b') != read('c')
    assert first['num_objects'] >= 12


def test_train_and_val_pipelines_on_the_demo_set(demo_set):
    np.random.seed(0)
    train = demo_dataset(demo_set, pipeline=TRAIN_PIPELINE)
    for i in range(len(train)):
        out = train[i]
        assert out['inputs'].shape == (3, H, W)
        sample = out['data_samples']
        assert sample.img_shape == (H, W) and sample.scale_factor == (1.0, 1.0)
        boxes = sample.gt_instances.bboxes
        assert ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).all()
        assert (boxes >= 0).all() and (boxes[:, 0::2] <= W).all() and (boxes[:, 1::2] <= H).all()
    val = demo_dataset(demo_set, 'test', test_mode=True, pipeline=VAL_PIPELINE)
    out = val[0]
    info = val.get_data_info(0)
    sample = out['data_samples']
    assert out['inputs'].shape == (3, H, W)
    assert sample.ori_shape == (info['height'], info['width'])
    ratio = min(W / info['width'], H / info['height'])
    np.testing.assert_allclose(sample.scale_factor, (ratio, ratio), rtol=0.01)
    # GT stays in original-image pixels for the metric
    all_boxes = [inst['bbox'] for inst in info['instances'] if not inst['ignore_flag']]
    np.testing.assert_allclose(sample.gt_instances.bboxes.numpy(),
                               np.array(all_boxes).reshape(-1, 4))


def test_make_demo_dataset_cli(tmp_path):
    tool = load_tool('tools/misc/make_demo_dataset.py')
    info = tool.main([str(tmp_path), '--num-train', '3', '--num-val', '2', '--seed', '5'])
    assert info['num_train'] == 3
    lines = (tmp_path / 'VOC2007' / 'ImageSets' / 'Main' / 'test.txt').read_text().split()
    assert lines == ['000003', '000004']


def test_browse_dataset_writes_drawn_samples(demo_set, tmp_path):
    config = tmp_path / 'browse_cfg.py'
    config.write_text(
        "import cv2\n"
        "default_scope = 'yolo_toolbox'\n"
        f"train_pipeline = {TRAIN_PIPELINE!r}\n"
        f"val_pipeline = {VAL_PIPELINE!r}\n"
        "train_dataloader = dict(dataset=dict(type='VOCDataset', "
        f"data_root={demo_set['data_root']!r}, years=('VOC2007',), split='trainval', "
        f"metainfo=dict(classes={DEMO_CLASSES!r}), pipeline=train_pipeline))\n"
        "val_dataloader = dict(dataset=dict(type='VOCDataset', "
        f"data_root={demo_set['data_root']!r}, years=('VOC2007',), split='test', test_mode=True, "
        f"metainfo=dict(classes={DEMO_CLASSES!r}), pipeline=val_pipeline))\n")
    tool = load_tool('tools/analysis_tools/browse_dataset.py')
    out_dir = tmp_path / 'browse'
    written = tool.main([str(config), '--out-dir', str(out_dir), '--num', '3'])
    assert len(written) == 3 and sorted(os.listdir(out_dir)) == sorted(map(osp.basename, written))
    assert cv2.imread(written[0]).shape == (H, W, 3)
    written = tool.main([str(config), '--out-dir', str(out_dir / 'val'), '--num', '2', '--phase',
                         'val', '--cfg-options', 'val_dataloader.dataset.split=trainval'])
    assert len(written) == 2


def test_library_does_not_import_the_generators():
    """The synthetic set generators live in tools/misc/synthetic_data/, outside the package:
    importing every yolo_toolbox module loads none of them, and their old names say where
    they went."""
    code = ('import pkgutil, importlib, sys, yolo_toolbox\n'
            'for info in pkgutil.walk_packages(yolo_toolbox.__path__, "yolo_toolbox."):\n'
            '    importlib.import_module(info.name)\n'
            'bad = [m for m in sys.modules if m.startswith("synthetic_data")\n'
            '       or m in ("yolo_toolbox.datasets.demo", "yolo_toolbox.datasets.heldout")]\n'
            'assert not bad, bad\n'
            'import yolo_toolbox.datasets as d\n'
            'try:\n'
            '    d.make_demo_dataset\n'
            'except AttributeError as e:\n'
            '    assert "tools/misc/synthetic_data" in str(e), e\n'
            'else:\n'
            '    raise AssertionError("make_demo_dataset is still in the package")\n')
    subprocess.run([sys.executable, '-c', code], check=True, cwd=REPO)
