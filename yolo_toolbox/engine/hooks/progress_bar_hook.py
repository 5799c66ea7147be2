"""A progress bar with ETA over the batches of the test (and, optionally, val) loop."""
import sys
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from yolo_toolbox.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """mmengine's ``ProgressBar`` (done/total batches, batches/s, elapsed, ETA in seconds)
    on stdout of the main process, one bar per epoch of the chosen loops.

    ``tools/test.py`` adds it for the test loop; LoggerHook lines still appear (they
    start on a new line). In training, LoggerHook already logs an ETA.

    Args:
        stages: loops to show it for, from ``'test'`` and ``'val'``.
    """

    priority = 'VERY_LOW'

    def __init__(self, stages: Sequence[str] = ('test', )) -> None:
        unknown = set(stages) - {'test', 'val'}
        if unknown:
            raise ValueError(f'ProgressBarHook: unknown stages {sorted(unknown)}; '
                             "use 'test' and/or 'val'")
        self.stages = tuple(stages)
        self._bar: Optional[ProgressBar] = None

    def _start(self, stage: str, dataloader) -> None:
        if stage in self.stages and is_main_process():
            sys.stdout.write(f'{stage}: ')
            self._bar = ProgressBar(len(dataloader), file=sys.stdout)

    def _update(self) -> None:
        if self._bar is not None:
            self._bar.update()

    def _finish(self) -> None:
        if self._bar is not None:
            sys.stdout.write('\n')
            sys.stdout.flush()
            self._bar = None

    def before_test_epoch(self, runner) -> None:
        self._start('test', runner.test_dataloader)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._update()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._finish()

    def before_val_epoch(self, runner) -> None:
        self._start('val', runner.val_dataloader)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._update()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._finish()
