"""Average the normalisation statistics (and their EMA) over the processes of a DDP run."""
from typing import List

import torch
from mmengine.dist import all_reduce_params, get_world_size
from mmengine.hooks import EMAHook, Hook
from mmengine.model import is_model_wrapper

from yolo_toolbox.registry import HOOKS


@HOOKS.register_module()
class SyncNormStatsHook(Hook):
    """All-reduce (mean) the floating-point buffers of the model and of every EMAHook's
    averaged model at the end of each training epoch (and before a validation that did
    not follow one, as in iteration-based loops).

    Why: DDP averages gradients, so the parameters (and their EMA) agree on every
    process, but each process updates BatchNorm's ``running_mean`` / ``running_var`` from
    its own images, and ``EMAHook(update_buffers=True)`` averages those per-process
    buffers. Without this hook each rank validates with its own statistics, while the
    checkpoint (written by rank 0) holds rank 0's: the gathered validation mAP then
    differs from ``tools/test.py`` on the same checkpoint. mmengine's ``SyncBuffersHook``
    syncs only the model's buffers, not the EMA model's, which validation uses.

    Runs before ``CheckpointHook`` (priority ``VERY_LOW``) saves, so checkpoints hold the
    averaged statistics. Integer buffers (``num_batches_tracked``, the EMA step count)
    are equal on every process and are left alone. Does nothing in a 1-process run.
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._synced_after_train_epoch = False

    @staticmethod
    def _floating_buffers(runner) -> List[torch.Tensor]:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        modules = [model] + [hook.ema_model for hook in runner.hooks
                             if isinstance(hook, EMAHook) and hasattr(hook, 'ema_model')]
        return [buf for module in modules for buf in module.buffers()
                if buf.is_floating_point()]

    def _sync(self, runner) -> None:
        if get_world_size() > 1:
            all_reduce_params(self._floating_buffers(runner), op='mean')

    def after_train_epoch(self, runner) -> None:
        """Average the statistics before the epoch's checkpoint and validation."""
        self._sync(runner)
        self._synced_after_train_epoch = True

    def before_val_epoch(self, runner) -> None:
        """Average them before a validation that no training epoch end preceded."""
        if not self._synced_after_train_epoch:
            self._sync(runner)
        self._synced_after_train_epoch = False
