"""``EpochTrainTimeHook``: each training epoch's seconds, for equal-wall-clock comparisons.

Times ``before_train_epoch`` to ``after_train_epoch`` at the highest priority, so the
training loop only (data loading, forward, backward, optimizer, EMA, a pipeline switch),
not the checkpoint saving nor the validation that follow, as ``train_ultralytics.py``
times Ultralytics. Writes ``<work_dir>/epoch_times.json`` after every epoch.
Imported by the configs of this folder through ``custom_imports``.
"""
import json
import os.path as osp
import time

from mmengine.hooks import Hook

from yolo_toolbox.registry import HOOKS


@HOOKS.register_module()
class EpochTrainTimeHook(Hook):
    priority = 'VERY_HIGH'

    def __init__(self, filename: str = 'epoch_times.json') -> None:
        self.filename = filename
        self.records = []
        self._start = None

    def _path(self, runner) -> str:
        return osp.join(runner.work_dir, self.filename)

    def before_train(self, runner) -> None:
        # a resumed run keeps the epochs it already timed
        if osp.isfile(self._path(runner)):
            with open(self._path(runner)) as f:
                self.records = [r for r in json.load(f)['records'] if r['epoch'] <= runner.epoch]

    def before_train_epoch(self, runner) -> None:
        self._start = time.perf_counter()

    def after_train_epoch(self, runner) -> None:
        train_s = time.perf_counter() - self._start
        total = (self.records[-1]['cumulative_train_s'] if self.records else 0.0) + train_s
        self.records.append(dict(epoch=runner.epoch + 1, train_s=round(train_s, 3),
                                 cumulative_train_s=round(total, 3)))
        with open(self._path(runner), 'w') as f:
            json.dump(dict(system='yolo_toolbox', records=self.records), f, indent=1)
