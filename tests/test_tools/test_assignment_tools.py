"""The assignment CLIs on a tiny demo set: they run and write their files."""
import csv
import os.path as osp

import pytest

from tests._tools import load_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = osp.join(REPO, 'configs', 'demo', 'yolo_demo_nearby.py')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    from tests._tools import make_demo_dataset
    root = tmp_path_factory.mktemp('assign_demo')
    make_demo_dataset(str(root), num_train=6, num_val=1, seed=2)
    return str(root) + '/'


def options(data_root, *extra):
    return ['--cfg-options', f'train_dataloader.dataset.data_root={data_root}', *extra]


def test_browse_assignment_writes_one_png_per_image_and_assigner(data_root, tmp_path):
    out = tmp_path / 'draw'
    written = load_tool('tools/analysis_tools/browse_assignment.py').main(
        [DEMO_CONFIG, '--out-dir', str(out), '--num-images', '2', '--assigner', 'single,all',
         '--panel-px', '192', *options(data_root)])
    assert len(written) == 4 and sorted(p.name for p in out.iterdir()) == sorted(
        osp.basename(p) for p in written)
    assert {osp.basename(p).rsplit('_', 1)[1] for p in written} == {'single.png', 'all.png'}


def test_assignment_stats_prints_and_writes_csv_and_plot(data_root, tmp_path, capsys):
    out = tmp_path / 'stats'
    rows = load_tool('tools/analysis_tools/assignment_stats.py').main(
        [DEMO_CONFIG, '--assigners', 'single,nearby,AllGridAssigner', '--no-aug',
         '--out-dir', str(out), '--batch-size', '4', *options(data_root)])
    printed = capsys.readouterr().out
    assert 'contested' in printed and 'AllGridAssigner' in printed
    assert len(rows) == 3 * 4  # 3 assigners x (3 scales + all)
    with open(out / 'assignment_stats.csv') as f:
        table = list(csv.DictReader(f))
    assert len(table) == 12 and {'hist_>10', 'contested_slots', 'pos_per_gt_small'} <= set(
        table[0])
    assert (out / 'assignment_stats.png').stat().st_size > 10_000
    by_key = {(r['assigner'], r['scale']): r for r in rows}
    # same GT for all: nearby covers the single-grid cell, so never fewer GTs assigned
    assert by_key[('nearby', 'all')]['zero_pos'] <= by_key[('single', 'all')]['zero_pos']
    assert by_key[('single', 'all')]['num_gts'] == by_key[('AllGridAssigner', 'all')]['num_gts']


def test_unknown_assigner_says_how_to_fix(data_root):
    with pytest.raises(KeyError, match='custom_imports'):
        load_tool('tools/analysis_tools/assignment_stats.py').main(
            [DEMO_CONFIG, '--assigners', 'nope', *options(data_root)])


def test_optimize_anchors_prints_a_config_snippet(data_root, capsys):
    result = load_tool('tools/analysis_tools/optimize_anchors.py').main(
        [DEMO_CONFIG, '--num-clusters', '6', '--iters', '50', '--no-aug', *options(data_root)])
    printed = capsys.readouterr().out
    assert 'anchors = [[(' in printed and 'BPR' in printed
    assert result['anchors'].shape == (3, 2, 2)
    assert 0.0 <= result['proposed']['bpr'] <= 1.0 and result['current']['num_gts'] > 0


def test_benchmark_assigners_runs_small(capsys):
    rows = load_tool('tools/analysis_tools/benchmark_assigners.py').main(
        ['--config', DEMO_CONFIG, '--batch-size', '2', '--num-gts', '5',
         '--repeat', '2', '--forward-repeat', '1', '--shape', '64'])
    assert [r[0] for r in rows][:3] == ['assign: single', 'assign: nearby', 'assign: all']
    assert rows[-1][0].startswith('forward') and rows[-1][1] > 0
    assert '| median ms |' in capsys.readouterr().out
