"""projects/original_comparison/equal_time.py: the equal-time row, on hand-made runs."""
import json

import pytest

from tests._tools import load_tool


def _ours(work_dir, evals, seconds_per_epoch=10.0):
    """A tools/train.py work dir: epoch_times.json and vis_data/scalars.json."""
    (work_dir / 'run' / 'vis_data').mkdir(parents=True)
    last = max(evals)
    records = [dict(epoch=e, train_s=seconds_per_epoch, cumulative_train_s=seconds_per_epoch * e)
               for e in range(1, last + 1)]
    (work_dir / 'epoch_times.json').write_text(json.dumps(dict(records=records)))
    lines = [json.dumps({'loss': 1.0, 'step': 3})]
    lines += [json.dumps({'det/mAP_50': m50, 'det/mAP_50_95': m, 'step': e})
              for e, (m50, m) in evals.items()]
    (work_dir / 'run' / 'vis_data' / 'scalars.json').write_text('\n'.join(lines) + '\n')


def _original(path, evals):
    """A harness JSON: {epoch: (train_time, mAP_50, mAP_50_95)}."""
    path.write_text(json.dumps(dict(systems=dict(original=dict(evals=[
        dict(epoch=e, train_time=t, mAP_50=m50, mAP_50_95=m) for e, (t, m50, m) in evals.items()
    ])))))


def test_equal_time_credits_the_original_past_the_budget(tmp_path):
    tool = load_tool('projects/original_comparison/equal_time.py')
    _ours(tmp_path / 'ours', {5: (0.2, 0.1), 10: (0.6, 0.3)})  # budget: 10 epochs x 10 s
    # the original: 30 s / epoch; its best so far at the first evaluation past 100 s
    # (epoch 4, 120 s) is epoch 2's 0.25, its last within the budget epoch 3's 0.2
    _original(tmp_path / 'orig.json', {1: (30.0, 0.1, 0.04), 2: (60.0, 0.25, 0.1),
                                       3: (90.0, 0.2, 0.12), 4: (120.0, 0.22, 0.11),
                                       5: (150.0, 0.9, 0.5)})
    out = tmp_path / 'res' / 'eq'
    result = tool.main(['--name', 'toy', '--original', str(tmp_path / 'orig.json'),
                        '--ours', str(tmp_path / 'ours'), '--out', str(out)])
    row = result['row']
    assert row['budget_s'] == pytest.approx(100.0)
    assert row['ours_epoch'] == 10
    assert row['original_within_epoch'] == 3 and row['original_beyond_epoch'] == 4
    assert row['original_credited_epoch'] == 2  # epoch 5 (past the budget twice) is not
    assert row['ratio_50'] == pytest.approx(0.6 / 0.25)
    assert row['ratio_50_95'] == pytest.approx(0.3 / 0.12)
    assert row['original_best_epoch'] == 5 and row['ratio_50_best'] == pytest.approx(0.6 / 0.9)
    table = (tmp_path / 'res' / 'eq.md').read_text()
    assert '| toy | 100 | 10 ep, 100 s: 0.600 (0.300) | 3 ep, 90 s: 0.200 (0.120) ' in table
    assert '| 2.40x (2.50x) | 5 ep, 150 s: 0.900 (0.500) | 0.67x |' in table
    assert (tmp_path / 'res' / 'eq.png').stat().st_size > 0
    # several sets in one figure, from the JSON
    tool.main(['--plot', str(out) + '.json', str(out) + '.json', '--out', str(tmp_path / 'both')])
    assert (tmp_path / 'both.md').read_text().count('| toy |') == 2


def test_equal_time_needs_the_original_past_the_budget(tmp_path):
    tool = load_tool('projects/original_comparison/equal_time.py')
    _ours(tmp_path / 'ours', {10: (0.6, 0.3)})
    _original(tmp_path / 'orig.json', {1: (30.0, 0.1, 0.04), 3: (90.0, 0.2, 0.12)})
    with pytest.raises(SystemExit, match='less than our budget of 100 s'):
        tool.main(['--name', 'toy', '--original', str(tmp_path / 'orig.json'),
                   '--ours', str(tmp_path / 'ours'), '--out', str(tmp_path / 'eq')])
    with pytest.raises(SystemExit, match='epoch_times.json is missing'):
        tool.main(['--name', 'toy', '--original', str(tmp_path / 'orig.json'),
                   '--ours', str(tmp_path), '--out', str(tmp_path / 'eq')])


def test_equal_time_refuses_runs_on_different_sets(tmp_path):
    tool = load_tool('projects/original_comparison/equal_time.py')
    _ours(tmp_path / 'ours', {10: (0.6, 0.3)})
    _original(tmp_path / 'orig.json', {4: (120.0, 0.2, 0.1)})
    for name, root in (('a.py', 'data/heldout_glyphs/'), ('b.py', 'data/heldout_outlines/')):
        # custom_imports as the timed configs have (EpochTrainTimeHook): read without them
        (tmp_path / name).write_text(
            "custom_imports = dict(imports=['no_such_module_here'], allow_failed_imports=False)\n"
            f"val_dataloader = dict(dataset=dict(data_root='{root}'))\n")
    (tmp_path / 'ours' / 'a.py').write_text((tmp_path / 'a.py').read_text())  # the dumped config
    run = json.loads((tmp_path / 'orig.json').read_text())
    args = ['--name', 'toy', '--original', str(tmp_path / 'orig.json'), '--ours',
            str(tmp_path / 'ours'), '--out', str(tmp_path / 'eq')]
    run['config'] = str(tmp_path / 'b.py')
    (tmp_path / 'orig.json').write_text(json.dumps(run))
    with pytest.raises(SystemExit, match='not the same set'):
        tool.main(args)
    # the harness's --cfg-options data root counts; the same set passes
    run['cfg_options'] = {'val_dataloader.dataset.data_root': 'data/heldout_glyphs'}
    (tmp_path / 'orig.json').write_text(json.dumps(run))
    assert tool.main(args)['row']['ours_epoch'] == 10
