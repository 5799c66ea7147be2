"""What ``cache='ram'`` buys on a config's training set, measured in one process.

    python tools/analysis_tools/benchmark_image_cache.py CONFIG [--reps 3] [--train-epochs 0]
        [--cfg-options ...]

Builds the training dataset of CONFIG uncached and with ``cache='ram'`` and alternates,
``--reps`` times: one pass of the training pipeline over the whole set (no model); with
``--train-epochs N`` also N training epochs through ``Runner`` (``num_workers=0``, no
validation, no checkpoints; the cache is built inside the timed part). Prints medians of
wall and CPU seconds (user + sys of this process) and their ratios, with the load average,
since on a shared machine only ratios within one run mean anything.
"""
import argparse
import copy
import os
import resource
import tempfile
import time
from typing import Optional, Sequence

import numpy as np
from mmengine.config import DictAction

from yolo_toolbox.utils import load_config


def parse_args(argv: Optional[Sequence[str]] = None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--reps', type=int, default=3, help='alternations (default 3)')
    parser.add_argument('--train-epochs', type=int, default=0,
                        help='also time this many training epochs per variant (default 0)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn):
    c0, t0 = _cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, _cpu() - c0


def _train(cfg, cache, epochs: int, work_dir: str):
    from mmengine.runner import Runner
    cfg = copy.deepcopy(cfg)
    cfg.train_dataloader.dataset.cache = cache
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs + 1)
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg', 'test_dataloader',
                'test_evaluator', 'test_cfg'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs + 1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    cfg.log_level = 'WARNING'
    cfg.work_dir = work_dir
    runner = Runner.from_cfg(cfg)
    return _timed(runner.train)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    from mmengine.registry import init_default_scope

    from yolo_toolbox.registry import DATASETS
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope('yolo_toolbox')
    datasets = {}
    for cache in (None, 'ram'):
        ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
        ds_cfg.cache = cache
        datasets[cache] = DATASETS.build(ds_cfg)
    results = {None: dict(pass_=[], train=[]), 'ram': dict(pass_=[], train=[])}
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for cache, ds in datasets.items():
                np.random.seed(rep)
                results[cache]['pass_'].append(
                    _timed(lambda ds=ds: [ds[i] for i in range(len(ds))]))
                if args.train_epochs:
                    results[cache]['train'].append(_train(
                        cfg, cache, args.train_epochs, os.path.join(tmp, f'{cache}_{rep}')))
            load.append(os.getloadavg()[0])
    summary = dict(images=len(datasets[None]), load=(min(load), max(load)))
    print(f'{len(datasets[None])} images, {args.reps} alternations, load average '
          f'{min(load):.2f}-{max(load):.2f}')
    for key, what in (('pass_', 'pipeline pass (no model)'),
                      ('train', f'{args.train_epochs} training epochs')):
        if not results[None][key]:
            continue
        med = {c: np.median(np.array(results[c][key]), axis=0) for c in results}
        summary[key.strip('_')] = {str(c): tuple(map(float, m)) for c, m in med.items()}
        print(f'{what}: uncached {med[None][0]:.2f} s wall / {med[None][1]:.2f} s CPU, '
              f"cache='ram' {med['ram'][0]:.2f} s / {med['ram'][1]:.2f} s: speed-up "
              f"{med[None][0] / med['ram'][0]:.2f}x wall, {med[None][1] / med['ram'][1]:.2f}x CPU")
    return summary


if __name__ == '__main__':
    main()
