"""Refuse a checkpoint that does not fit the model, before the runner loads it."""
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper

from yolo_toolbox.registry import HOOKS
from yolo_toolbox.utils.checkpoint_fit import checkpoint_mismatch, mismatch_error, split_state


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Checks every checkpoint the runner loads (``load_from``, ``--resume``,
    ``tools/test.py CHECKPOINT``) against the model before its tensors are copied in.

    mmengine loads ``load_from`` with ``strict=False`` and only logs tensors whose shapes
    differ, which then keep their random initial values. This hook raises
    :class:`~yolo_toolbox.utils.checkpoint_fit.CheckpointMismatchError` instead, naming
    what differs in the config's words (``num_classes 5 vs 4 (config vs checkpoint)``)
    and the tensors.

    Fine-tuning from a checkpoint of another class count: name the tensors to leave at
    their initial values, e.g. ``default_hooks.checkpoint_fit.skip_prefixes=['bbox_head.']``
    with ``load_from=...``. They are removed from the loaded ``state_dict`` (and
    ``ema_state_dict``) with a log line; everything else must still fit. ``resume=True``
    ignores ``skip_prefixes``: resuming continues the same run and needs every tensor.

    Args:
        skip_prefixes: ``state_dict`` key prefixes not loaded from ``load_from``.
    """

    # before EMAHook (49) copies the loaded weights into the averaged model
    priority = 'VERY_HIGH'

    def __init__(self, skip_prefixes: Sequence[str] = ()) -> None:
        if isinstance(skip_prefixes, str):
            skip_prefixes = (skip_prefixes, )
        self.skip_prefixes = tuple(skip_prefixes)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model
        # a DDP wrapper or a test-time model (tools/test.py --tta): the checkpoint is the
        # wrapped detector's, as mmengine's load_checkpoint loads it
        if is_model_wrapper(model) or isinstance(model, BaseTTAModel):
            model = model.module
        resuming = bool(runner.cfg.get('resume', False)) if runner.cfg else False
        skip = () if resuming else self.skip_prefixes
        state = checkpoint.get('state_dict', checkpoint)
        source = runner.cfg.get('load_from') if runner.cfg else None
        problem = checkpoint_mismatch(model, state, checkpoint.get('meta'), skip)
        if problem:
            raise mismatch_error(
                source or 'being loaded', problem,
                "set default_hooks.checkpoint_fit.skip_prefixes=['bbox_head.'] with "
                'load_from (docs/robustness.md)' + (' and resume=False' if resuming else ''))
        if not skip:
            return
        for key in ('state_dict', 'ema_state_dict'):
            if isinstance(checkpoint.get(key), dict):
                checkpoint[key], dropped = split_state(checkpoint[key], skip)
                if key == 'state_dict' or 'state_dict' not in checkpoint:
                    runner.logger.info(
                        f'CheckpointFitHook: not loading {len(dropped)} tensors under '
                        f'{list(skip)} from {source}: they keep their initial values')
