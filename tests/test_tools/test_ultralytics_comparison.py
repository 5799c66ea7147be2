"""projects/ultralytics_comparison: the parts that run in the project's venv (no ultralytics)."""
import importlib
import json
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from tests._tools import REPO, load_tool

XML = """<annotation><size><width>100</width><height>50</height><depth>3</depth></size>
<object><name>a</name><difficult>0</difficult>
<bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
<object><name>b</name><difficult>1</difficult>
<bndbox><xmin>51</xmin><ymin>1</ymin><xmax>60</xmax><ymax>10</ymax></bndbox></object>
</annotation>"""


def _voc(root):
    year = root / 'VOC2007'
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (year / sub).mkdir(parents=True)
    for i in range(3):
        (year / 'Annotations' / f'{i:06d}.xml').write_text(XML)
        assert cv2.imwrite(str(year / 'JPEGImages' / f'{i:06d}.jpg'),
                           np.zeros((50, 100, 3), np.uint8))
    (year / 'ImageSets' / 'Main' / 'trainval.txt').write_text('000000\n000001\n')
    (year / 'ImageSets' / 'Main' / 'test.txt').write_text('000002\n')
    return root


def test_prepare_data_and_scoring(tmp_path, monkeypatch, capsys):
    prepare = load_tool('projects/ultralytics_comparison/prepare_data.py')
    compare = load_tool('projects/ultralytics_comparison/compare.py')
    src = _voc(tmp_path / 'src')
    out = tmp_path / 'out'
    monkeypatch.setattr('sys.argv', ['prepare_data.py', str(src), str(out), '--classes', 'a',
                                     'b', '--num-train', '1'])
    prepare.main()
    assert (out / 'voc/VOC2007/ImageSets/Main/trainval.txt').read_text() == '000000\n'
    assert (out / 'yolo/labels/train/000000.txt').read_text().splitlines() == [
        '0 0.200000 0.500000 0.200000 0.600000']  # the difficult object left out
    assert f'path: {out}/yolo' in (out / 'yolo/data.yaml').read_text()

    dets = tmp_path / 'dets'
    dets.mkdir()
    # a perfect detection, a detection on the difficult box (ignored) and a false positive
    det = dict(bboxes=[[10, 10, 30, 40], [50, 0, 60, 10], [70, 20, 90, 40]],
               scores=[0.9, 0.8, 0.1], labels=[0, 1, 0])
    (dets / 'epoch_1.json').write_text(json.dumps(dict(epoch=1, detections={'000002': det})))
    det2 = dict(det, scores=[0.1, 0.8, 0.9])  # the false positive now ranks first
    (dets / 'epoch_2.json').write_text(json.dumps(dict(epoch=2, detections={'000002': det2})))
    values = compare.score_ultralytics(str(dets), str(out / 'voc'), ['a', 'b'])
    assert values[1] == pytest.approx((1.0, 1.0))
    assert 0.4 < values[2][0] < 0.6  # precision 1/2 at the only recall point


def test_table_times_and_timer_hook(tmp_path):
    compare = load_tool('projects/ultralytics_comparison/compare.py')
    # imported as the configs' custom_imports do (a second import would register it twice)
    timer = importlib.import_module('projects.ultralytics_comparison.epoch_timer')
    assert compare.at_time({1: 5.0, 2: 10.0, 3: 15.0}, 12.0) == 2
    assert compare.at_time({1: 5.0}, 4.0) is None
    systems = dict(ultralytics=dict(map={1: (0.2, 0.1), 2: (0.4, 0.2)}, times={1: 10.0, 2: 20.0}),
                   ours=dict(map={1: (0.3, 0.15), 2: (0.5, 0.3)}, times={1: 8.0, 2: 16.0}))
    lines, rows = compare.build_table('s', systems, 2)
    assert [r['ratio_50_95'] for r in rows] == ['1.50x', '1.50x', '3.00x']
    assert rows[2]['ultralytics_epoch'] == 1  # Ultralytics' epoch 1 within ours' 16 s
    compare.plot([('s', systems)], str(tmp_path / 'curves.png'))
    assert (tmp_path / 'curves.png').stat().st_size > 0

    hook = timer.EpochTrainTimeHook()
    runner = SimpleNamespace(work_dir=str(tmp_path), epoch=0)
    hook.before_train(runner)
    for epoch in range(2):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        hook.after_train_epoch(runner)
    records = json.loads((tmp_path / 'epoch_times.json').read_text())['records']
    assert [r['epoch'] for r in records] == [1, 2]
    assert records[1]['cumulative_train_s'] >= records[0]['cumulative_train_s']


@pytest.mark.parametrize('name', ['yolov8_n_256_glyphs', 'yolov8_n_256_outlines',
                                  'nearby_grid_glyphs', 'nearby_grid_outlines'])
def test_configs(name):
    cfg = Config.fromfile(f'{REPO}/projects/ultralytics_comparison/configs/{name}.py')
    set_name = name.rsplit('_', 1)[1]
    assert cfg.train_cfg.val_interval == 1
    assert cfg.train_dataloader.dataset.data_root == f'work_dirs/ultra22/{set_name}/data/voc/'
    assert cfg.val_dataloader.dataset.data_root == cfg.train_dataloader.dataset.data_root
    assert cfg.model.bbox_head.num_classes == 5
    assert cfg.custom_hooks[-1].type == 'EpochTrainTimeHook'
    if name.startswith('yolov8'):
        assert cfg.default_hooks.checkpoint.interval == 1
        assert cfg.default_hooks.checkpoint.max_keep_ckpts == -1
        assert cfg.custom_hooks[2].last_epochs == 10
