"""The headline command without data: a short message naming the path and the command
that gets the data, from ``dist_train.sh`` (before any process starts) and ``train.py``."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from tests._tools import REPO
from yolo_toolbox.utils.data_check import find_missing_data

CONFIG = osp.join(REPO, 'configs', 'yolo_r18_nearby.py')


def _env() -> dict:
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', PORT='29581',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.pop('RANK', None)
    return env


def test_dist_train_two_processes_without_data_fails_fast_and_short(tmp_path):
    missing = tmp_path / 'nothing' / 'VOCdevkit'
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), CONFIG, '2', '--work-dir',
         str(tmp_path / 'work'), '--cfg-options', f'train_dataloader.dataset.data_root={missing}'],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    lines = output.strip().splitlines()
    assert len(lines) <= 4, output
    assert 'Traceback' not in output
    assert f'{missing} is not a folder' in lines[0]
    assert ('python tools/misc/download_dataset.py --dataset voc0712 --data-root '
            f'{missing.parent} --unzip') in output
    assert not (tmp_path / 'work').exists()  # nothing started


@pytest.mark.slow
def test_train_py_only_rank_zero_reports(tmp_path):
    args = [sys.executable, osp.join(REPO, 'tools', 'train.py'), CONFIG, '--work-dir',
            str(tmp_path / 'work')]
    outputs = {}
    for rank, status in (('0', 1), ('1', 0)):  # rank 0 fails; the others leave quietly
        proc = subprocess.run(args, cwd=tmp_path, env=dict(_env(), RANK=rank),
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == status
        outputs[rank] = proc.stdout + proc.stderr
    assert 'data/VOCdevkit/ is not a folder' in outputs['0']
    assert outputs['1'] == ''


def test_messages_name_the_missing_part_and_the_way_to_get_it(tmp_path):
    voc = tmp_path / 'VOCdevkit'
    (voc / 'VOC2007').mkdir(parents=True)
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='RepeatDataset', times=2,
        dataset=dict(type='VOCDataset', data_root=str(voc), years=('VOC2007', 'VOC2012'))))))
    message = find_missing_data(cfg)
    assert f'{voc / "VOC2012"} is not a folder' in message
    assert 'train_dataloader.dataset.dataset.data_root' in message
    assert f'--dataset voc0712 --data-root {tmp_path}' in message

    (voc / 'VOC2012').mkdir()
    assert find_missing_data(cfg) is None
    cfg.train_dataloader.dataset.dataset.years = ('VOC2007', )
    assert find_missing_data(cfg) is None

    coco = Config(dict(val_dataloader=dict(dataset=dict(
        type='CocoDataset', data_root=str(tmp_path / 'coco'),
        ann_file='annotations/instances_val2017.json', data_prefix=dict(img_path='val2017/')))))
    assert '--dataset coco2017' in find_missing_data(coco)
    (tmp_path / 'coco' / 'annotations').mkdir(parents=True)
    assert 'instances_val2017.json is not a file' in find_missing_data(coco)
    coco.val_cfg = None  # no validation: the val set is not needed
    assert find_missing_data(coco) is None

    yolo = Config(dict(train_dataloader=dict(dataset=dict(
        type='YOLOTxtDataset', data_yaml=str(tmp_path / 'mine' / 'data.yaml')))))
    message = find_missing_data(yolo)
    assert 'data.yaml is not a file' in message and 'docs/custom_dataset.md' in message


def test_yolo_format_class_count_must_match_the_head(tmp_path):
    (tmp_path / 'data.yaml').write_text('train: images\nnames: [a, b, c]\n')
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'yolo_txt', 'yolo_r18_nearby_yolo_txt.py'))
    cfg.train_dataloader.dataset.data_yaml = str(tmp_path / 'data.yaml')
    cfg.val_cfg = None
    message = find_missing_data(cfg)
    assert 'lists 3 classes but model.bbox_head.num_classes is 80' in message
    assert 'model.bbox_head.num_classes=3' in message
    cfg.model.bbox_head.num_classes = 3
    assert find_missing_data(cfg) is None
