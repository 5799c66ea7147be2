"""Progress bars with ETA: tools/test.py (ProgressBarHook), the benchmark's timed loops,
assignment_stats' batches and the dataset's image check."""
from types import SimpleNamespace

import pytest
import torch

from tests._tools import load_tool
from tests._tools.tiny_config import DEMO_CONFIG
from yolo_toolbox.engine.hooks import ProgressBarHook  # noqa: E402
from yolo_toolbox.registry import HOOKS  # noqa: E402


def test_progress_bar_hook_counts_test_batches_with_eta(capsys):
    hook = HOOKS.build(dict(type='ProgressBarHook'))
    assert isinstance(hook, ProgressBarHook)
    runner = SimpleNamespace(test_dataloader=[0, 1, 2], val_dataloader=[0, 1])
    hook.before_test_epoch(runner)
    for i in range(3):
        hook.after_test_iter(runner, i)
    hook.after_test_epoch(runner)
    printed = capsys.readouterr().out
    assert printed.startswith('test: ') and '3/3' in printed and 'ETA' in printed
    hook.before_val_epoch(runner)  # only the test loop by default
    hook.after_val_iter(runner, 0)
    assert capsys.readouterr().out == ''
    with pytest.raises(ValueError, match='unknown stages'):
        ProgressBarHook(stages=('train', ))


def test_tools_test_adds_the_progress_bar_once(tmp_path):
    test_tool = load_tool('tools/test.py')
    args = test_tool.parse_args([DEMO_CONFIG, 'x.pth', '--work-dir', str(tmp_path)])
    cfg = test_tool.build_cfg(args)
    assert [h['type'] for h in cfg.custom_hooks].count('ProgressBarHook') == 1
    own = tmp_path / 'own.py'  # a config with its own bar keeps it
    own.write_text(f"_base_ = {DEMO_CONFIG!r}\n"
                   "custom_hooks = [dict(type='ProgressBarHook', stages=['val', 'test'])]\n")
    args = test_tool.parse_args([str(own), 'x.pth', '--work-dir', str(tmp_path)])
    assert test_tool.build_cfg(args).custom_hooks == [
        dict(type='ProgressBarHook', stages=['val', 'test'])]


def test_benchmark_timed_loop_shows_progress(capsys):
    benchmark = load_tool('tools/analysis_tools/benchmark.py')
    calls = []
    times = benchmark.timed(lambda: calls.append(1), iters=3, warmup=2,
                            device=torch.device('cpu'), label='train step')
    assert len(times) == 3 and len(calls) == 5
    printed = capsys.readouterr().out
    assert printed.startswith('train step: ') and '5/5' in printed and 'ETA' in printed
    benchmark.timed(lambda: None, iters=1, warmup=0, device=torch.device('cpu'))
    assert capsys.readouterr().out == ''  # no label: silent, as before


def test_assignment_stats_shows_batch_progress(tmp_path, capsys):
    from tests._tools import make_demo_dataset
    make_demo_dataset(str(tmp_path / 'data'), num_train=4, num_val=0, seed=5)
    load_tool('tools/analysis_tools/assignment_stats.py').main(
        [DEMO_CONFIG, '--no-aug', '--batch-size', '2', '--out-dir', str(tmp_path / 'out'),
         '--cfg-options', f'train_dataloader.dataset.data_root={tmp_path / "data"}/'])
    printed = capsys.readouterr().out
    assert '2/2' in printed and 'ETA' in printed  # 4 images in batches of 2
    # the image check of the dataset showed its own bar over the 4 images
    assert '4/4' in printed
