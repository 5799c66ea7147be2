"""Switch the training pipeline at a given epoch (YOLOv8's close-mosaic)."""
from typing import Optional, Sequence

from mmengine.dataset import Compose
from mmengine.hooks import Hook

from yolo_toolbox.registry import HOOKS, TRANSFORMS


@HOOKS.register_module()
class PipelineSwitchHook(Hook):
    """Train the last ``last_epochs`` epochs (or from epoch ``switch_epoch``, 0-based, on)
    with ``switch_pipeline``.

    YOLOv8 turns mosaic off for its last epochs (``close_mosaic``, 10 by default) so that
    the model ends on images like those it is tested on; a config does it with
    ``custom_hooks = [dict(type='PipelineSwitchHook', last_epochs=10,
    switch_pipeline=[...])]`` (``last_epochs`` follows ``train_cfg.max_epochs``).
    Persistent dataloader workers are restarted once so that they pick the new pipeline
    up; a resumed run past the switch switches at once.

    Args:
        switch_pipeline: transform configs (this package's ``TRANSFORMS``).
        last_epochs: switch at ``max_epochs - last_epochs``.
        switch_epoch: switch at this epoch instead (give one of the two).
    """

    priority = 'NORMAL'

    def __init__(self, switch_pipeline: Sequence[dict], last_epochs: Optional[int] = None,
                 switch_epoch: Optional[int] = None) -> None:
        if (last_epochs is None) == (switch_epoch is None):
            raise ValueError('PipelineSwitchHook: give last_epochs or switch_epoch (one of them)')
        self.last_epochs = last_epochs
        self.switch_epoch = switch_epoch
        self.switch_pipeline = list(switch_pipeline)
        self._switched = False
        self._restarted = False

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_dataloader
        if self._restarted:  # the restarted workers exist now: back to normal
            loader._DataLoader__initialized = True
            self._restarted = False
        switch_epoch = (self.switch_epoch if self.switch_epoch is not None
                        else runner.max_epochs - self.last_epochs)
        if self._switched or runner.epoch < switch_epoch:
            return
        runner.logger.info(f'PipelineSwitchHook: epoch {runner.epoch + 1} on, the training '
                           'pipeline is switch_pipeline')
        pipeline = Compose([TRANSFORMS.build(t) for t in self.switch_pipeline])
        dataset = loader.dataset
        for inner in getattr(dataset, 'datasets', None) or [getattr(dataset, 'dataset', dataset)]:
            inner.pipeline = pipeline
        if getattr(loader, 'persistent_workers', False):
            loader._DataLoader__initialized = False
            loader._iterator = None
            self._restarted = True
        self._switched = True
