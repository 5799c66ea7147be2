"""A user's assigner in their own file, used as docs/custom_assigner.md says: registered
by ``custom_imports`` in a config that inherits a model config, trained with
``tools/train.py`` (in a fresh process, from outside the repository), then drawn with
``browse_assignment.py`` and counted with ``assignment_stats.py``."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from tests._tools import load_tool
from yolo_toolbox.registry import MODELS, TASK_UTILS

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))

CONFIG = """
_base_ = '{repo}/configs/demo/yolo_demo_nearby.py'
custom_imports = dict(imports=['my_assigner'], allow_failed_imports=False)

data_root = '{data_root}/'
img_scale = (128, 128)
model = dict(
    backbone=dict(channel_sparsity=0.25),
    bbox_head=dict(assigner=dict(_delete_=True, type='NearestCellsTopKAssigner', topk=2,
                                 match_iou_thres=0.25)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Letterbox', scale=img_scale),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
train_cfg = dict(max_epochs=1)
val_dataloader = val_cfg = val_evaluator = None
test_dataloader = test_cfg = test_evaluator = None
custom_hooks = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(save_best=None))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
"""


@pytest.fixture(scope='module')
def user_config(tmp_path_factory):
    """A 2-image demo set and the user's config, in a folder outside the repository."""
    from tests._tools import make_demo_dataset
    root = tmp_path_factory.mktemp('user_project')
    make_demo_dataset(str(root / 'data'), num_train=2, num_val=1, seed=3)
    path = root / 'my_yolo.py'
    path.write_text(CONFIG.format(repo=REPO, data_root=root / 'data'))
    return path



def default_coder(assigner):
    """The box coder a head builds for ``assigner`` when its config names none."""
    from yolo_toolbox.registry import TASK_UTILS as _TASK_UTILS
    return _TASK_UTILS.build(assigner.default_coder())


def test_assigner_picks_own_cell_two_nearest_neighbours_and_topk():
    from my_assigner import (
        NearestCellsTopKAssigner,  # the user's file (see conftest.py)
    )
    assigner = TASK_UTILS.build(dict(type='NearestCellsTopKAssigner', topk=2,
                                     match_iou_thres=0.3))
    assert isinstance(assigner, NearestCellsTopKAssigner)
    anchors = torch.tensor([[10.0, 10.0], [40.0, 20.0], [36.0, 20.0]])
    # centre (37, 21) at stride 16: cell x 2, y 1, fractions 0.31 and 0.31 -> the left and
    # upper neighbours; shape IoUs 0.125, 1.0, 0.9 -> anchors 1 and 2
    gt = torch.tensor([[37.0, 21.0, 40.0, 20.0], [120.0, 7.0, 10.0, 10.0]])
    result = assigner.assign(gt, torch.zeros(2), torch.tensor([0, 1]), anchors, (8, 8), 16)
    rows = set(zip(*(t.tolist() for t in result)))
    first = {(0, a, y, x, 0) for a in (1, 2) for y, x in ((1, 2), (1, 1), (0, 2))}
    # GT 1: cell (0, 7), fractions 0.5, 0.44 -> right and upper neighbours off the map:
    # own cell only; only anchor 0 passes (shape IoU 1)
    assert rows == first | {(1, 0, 0, 7, 1)}
    offsets = default_coder(assigner).centre_offset(torch.tensor([[-50.0, 0.0, 50.0]]), (8, 8))
    assert offsets.tolist()[0] == pytest.approx([-0.5, 0.5, 1.5])


def test_train_draw_and_count_from_a_user_config(user_config, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, HERE]))
    work_dir = tmp_path / 'work'
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'train.py'),
                           str(user_config), '--work-dir', str(work_dir)],
                          cwd=str(user_config.parent), env=env, capture_output=True,
                          text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'Epoch(train) [1][2/2]' in log and 'num_pos' in log
    assert (work_dir / 'epoch_1.pth').exists()

    # the same config in this process: the head carries the user's assigner and decoding
    cfg = Config.fromfile(str(user_config))
    model = MODELS.build(cfg.model)
    assert type(model.bbox_head.assigner).__name__ == 'NearestCellsTopKAssigner'
    assert model.bbox_head.assigner.reach == (-0.5, 1.5)

    written = load_tool('tools/analysis_tools/browse_assignment.py').main(
        [str(user_config), '--out-dir', str(tmp_path / 'draw'), '--num-images', '2'])
    assert len(written) == 2 and all(p.endswith('_NearestCellsTopKAssigner.png')
                                     for p in written)
    rows = load_tool('tools/analysis_tools/assignment_stats.py').main(
        [str(user_config), '--assigners', 'config,nearby', '--out-dir', str(tmp_path / 'st')])
    assert {r['assigner'] for r in rows} == {'NearestCellsTopKAssigner', 'nearby'}
    mine = [r for r in rows if r['assigner'] == 'NearestCellsTopKAssigner' and r['scale'] == 'all']
    assert mine[0]['num_pos'] > 0 and mine[0]['contested_slots'] >= 0  # measured via select
    assert (tmp_path / 'st' / 'assignment_stats.csv').exists()
