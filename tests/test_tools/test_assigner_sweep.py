"""assigner_sweep.py: a tiny two-assigner sweep through tools/train.py, its table, plot
and resumability; the generated run config and the schedule fitting."""
import glob
import math
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from tests._tools import REPO, load_tool
from tests._tools.tiny_config import write_tiny_config


def load_sweep():
    return load_tool('tools/analysis_tools/assigner_sweep.py')


def test_fit_schedule_shortens_the_main_phase_and_keeps_warmup():
    sweep = load_sweep()
    schedulers = [dict(type='LinearLR', by_epoch=True, begin=0, end=2),
                  dict(type='CosineAnnealingLR', by_epoch=True, begin=2, end=40, T_max=38)]
    fitted = sweep.fit_schedule(schedulers, 40, 5)
    assert fitted == [dict(type='LinearLR', by_epoch=True, begin=0, end=2),
                      dict(type='CosineAnnealingLR', by_epoch=True, begin=2, end=5, T_max=3)]
    # shorter than the warm-up: warm-up clipped, cosine dropped
    assert sweep.fit_schedule(schedulers, 40, 1) == [
        dict(type='LinearLR', by_epoch=True, begin=0, end=1)]


def test_run_config_changes_only_assigner_seed_and_schedule(tmp_path):
    sweep = load_sweep()
    # warm-up epoch 0-1, cosine 1-3
    base = write_tiny_config(str(tmp_path), str(tmp_path / 'data'), max_epochs=3,
                             warmup_epochs=1)
    cfg = sweep.load_config(base)
    assigner_cfg = sweep.assigner_configs(['tal'], cfg)['tal']
    assert assigner_cfg == dict(type='TaskAlignedAssigner')
    path = sweep.write_run_config(str(tmp_path / 'run.py'), base, cfg, assigner_cfg, 3, 2, 1)
    run = Config.fromfile(path)
    assert run.model.bbox_head.assigner == dict(type='TaskAlignedAssigner')  # no nearby keys
    assert run.randomness.seed == 3 and run.train_cfg.max_epochs == 2
    assert [(s['begin'], s['end']) for s in run.param_scheduler] == [(0, 1), (1, 2)]
    assert run.param_scheduler[1]['T_max'] == 1
    assert run.train_dataloader == cfg.train_dataloader and run.optim_wrapper == cfg.optim_wrapper
    # nearby_grid keeps the configured thresholds
    assert sweep.assigner_configs(['nearby_grid'], cfg)['nearby_grid'] == dict(
        type='NearbyGridAssigner', match_iou_thres=0.0625, filter_by_max_iou=True)
    # each assigner with the coder its head builds for it
    assert run.model.bbox_head.bbox_coder == dict(type='YOLOXBBoxCoder', wh_base='anchor')


def test_assigner_options_reach_only_their_assigner(tmp_path):
    sweep = load_sweep()
    options = sweep.parse_assigner_options(['tal:model.bbox_head.loss_obj.gamma=0.0',
                                            'tal:model.bbox_head.cls_target_on=class'])
    assert options == {'tal': {'loss_obj': {'gamma': 0.0}, 'cls_target_on': 'class'}}
    base = write_tiny_config(str(tmp_path), str(tmp_path / 'data'), max_epochs=3)
    cfg = sweep.load_config(base)
    tal = sweep.assigner_configs(['tal'], cfg)['tal']
    run = Config.fromfile(sweep.write_run_config(str(tmp_path / 'run.py'), base, cfg, tal, 0,
                                                 None, 1, options['tal']))
    head = run.model.bbox_head
    assert head.loss_obj.gamma == 0.0 and head.loss_obj.type == cfg.model.bbox_head.loss_obj.type
    assert head.cls_target_on == 'class' and head.assigner == dict(type='TaskAlignedAssigner')
    with pytest.raises(SystemExit, match='NAME:model.bbox_head'):
        sweep.parse_assigner_options(['tal:optim_wrapper.lr=1'])
    # a name that is not swept is an error before anything trains
    with pytest.raises(SystemExit, match=r"\['tla'\], not among --assigners"):
        sweep.main([base, '--assigners', 'tal', '--epochs', '1', '--work-dir',
                    str(tmp_path / 'sweep'), '--assigner-options',
                    'tla:model.bbox_head.loss_obj.gamma=0.0'])


def run_sweep_tool(argv):
    """The sweep as a user runs it, in its own process (it trains in subprocesses and
    plots; a fresh process keeps it apart from what earlier tests left in this one).
    Returns ``{assigner: [run result]}`` read from the runs' result files."""
    import json
    import subprocess
    tool = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                    'tools', 'analysis_tools', 'assigner_sweep.py')
    proc = subprocess.run([sys.executable, tool, *argv], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    work_dir = argv[argv.index('--work-dir') + 1]
    names = argv[argv.index('--assigners') + 1:argv.index('--epochs')]
    return {name: [json.load(open(osp.join(work_dir, name, 'seed0', 'sweep_result.json')))]
            for name in names}


@pytest.mark.slow
def test_tiny_sweep_trains_tabulates_plots_and_resumes(tmp_path):
    from tests._tools import make_demo_dataset
    data_root = str(tmp_path / 'data')
    make_demo_dataset(data_root, 8, 4, 0)
    config = write_tiny_config(str(tmp_path), data_root, max_epochs=3, img_size=64)
    work_dir = str(tmp_path / 'sweep')
    argv = [config, '--assigners', 'yolov5', 'tal', '--epochs', '1', '--seeds', '0',
            '--work-dir', work_dir, '--bench-gts', '5', '--bench-repeat', '1']
    results = run_sweep_tool(argv)
    assert list(results) == ['yolov5', 'tal']
    for name, (run, ) in results.items():
        assert run['assigner'] == name and run['seed'] == 0
        assert set(run['mAP_50_per_epoch']) == {'1'}
        assert 0.0 <= run['mAP_50'] <= 1.0
        assert run['pos_per_gt'] > 0 and 0.0 <= run['gts_no_pos'] <= 1.0
        assert run['assign_ms'] > 0 and run['train_img_s'] > 0 and run['wall_s'] > 0
        run_cfg = Config.fromfile(osp.join(work_dir, name, 'seed0.py'))
        assert run_cfg.train_cfg.max_epochs == 1
    table = open(osp.join(work_dir, 'assigner_sweep.md')).read()
    assert '| yolov5 | 1 |' in table and '| tal | 1 |' in table and 'mAP@0.5:0.95' in table
    assert 'assigner_sweep.py' in table  # the command that made it
    assert osp.getsize(osp.join(work_dir, 'assigner_sweep.png')) > 0
    # the runs inherit the copy of CONFIG saved at the first start
    base = osp.join(work_dir, 'base_config.py')
    assert Config.fromfile(base).train_cfg.max_epochs == 3
    assert repr(base) in open(osp.join(work_dir, 'tal', 'seed0.py')).read()

    # again: nothing is trained (no new session in the run dirs), same numbers
    sessions = sorted(glob.glob(osp.join(work_dir, '*', 'seed0', '2*')))
    again = run_sweep_tool(argv)
    assert sorted(glob.glob(osp.join(work_dir, '*', 'seed0', '2*'))) == sessions
    assert again['tal'][0]['mAP_50'] == results['tal'][0]['mAP_50']


def test_table_has_mean_and_std_over_seeds():
    sweep = load_sweep()
    runs = [dict(mAP_50=0.5, mAP_50_95=0.2, mAP_s=math.nan, mAP_m=0.3, mAP_l=0.4,
                 pos_per_gt=10.0, gts_no_pos=0.0, assign_ms=2.0, train_img_s=10.0,
                 wall_s=60.0),
            dict(mAP_50=0.7, mAP_50_95=0.4, mAP_s=math.nan, mAP_m=0.5, mAP_l=0.6,
                 pos_per_gt=12.0, gts_no_pos=0.1, assign_ms=4.0, train_img_s=12.0,
                 wall_s=180.0)]
    line = sweep.format_table({'x': runs}).splitlines()[2]
    # mean 0.6, sample std 0.141; AP small undefined on both seeds; wall 2 +- 1.4 min
    assert line.startswith('| x | 2 | 0.600 ± 0.141 | 0.300 ± 0.141 | – |')
    assert '5.0% ± 7.1%' in line and line.endswith('2.0 ± 1.4 |')


if __name__ == '__main__':
    pytest.main([__file__])


def test_sweep_runs_on_the_anchor_free_head(tmp_path):
    """The 2-D study: every assigner on YOLOv8Head too (run configs build; the assignment
    benchmark sees one point per cell as the anchor (stride, stride))."""
    from yolo_toolbox.analysis import head_anchors_strides
    from yolo_toolbox.registry import MODELS
    sweep = load_sweep()
    config = osp.join(REPO, 'configs', 'yolov8', 'yolov8_n_256_small_data.py')
    cfg = sweep.load_config(config)
    anchors, strides = head_anchors_strides(cfg)
    assert strides == (8, 16, 32) and anchors.tolist() == [[[8, 8]], [[16, 16]], [[32, 32]]]
    for name, assigner_cfg in sweep.assigner_configs(['tal', 'simota', 'atss', 'nearby'],
                                                     cfg).items():
        path = sweep.write_run_config(str(tmp_path / f'{name}.py'), config, cfg, assigner_cfg,
                                      seed=0, epochs=2, val_interval=1)
        run_cfg = Config.fromfile(path)
        assert run_cfg.model.bbox_head.assigner.type == assigner_cfg['type']
        assert run_cfg.model.bbox_head.bbox_coder.type == 'DistancePointBBoxCoder'
        assert all(s['end'] <= 2 for s in run_cfg.param_scheduler)
        MODELS.build(run_cfg.model)
