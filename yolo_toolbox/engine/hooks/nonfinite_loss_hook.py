"""Stop (or skip the step) when the training loss turns NaN or inf; never save NaN weights."""
import logging
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.dist import all_reduce, get_world_size, is_distributed
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from yolo_toolbox.registry import HOOKS

#: message-hub key of the number of skipped steps (saved in checkpoints, so it survives resume)
SKIPPED_KEY = 'nonfinite_loss_skipped_steps'


class NonFiniteLossError(RuntimeError):
    """The loss (or a weight about to be saved) is NaN or inf."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Keeps NaN / inf out of the weights, and says where it came from.

    With public API only: in ``before_train`` it registers a step pre-hook on the
    optimizer (``torch.optim.Optimizer.register_step_pre_hook``). When a gradient is NaN
    or inf (a non-finite loss gives such gradients; under DDP they are the same on every
    rank), the pre-hook sets every gradient to ``None``, so the optimizer step changes no
    weight and no optimizer state. (Under fp16 AMP, ``GradScaler`` skips such steps
    itself.) Then, in ``after_train_iter`` (before any other hook sees the outputs), a
    skipped step or a non-finite logged loss (on any rank: the flag is all-reduced):

    - ``action='stop'``: raises :class:`NonFiniteLossError` naming the (1-based)
      iteration and epoch, every non-finite loss part and per-scale log (``loss_bbox=nan
      (bbox_s16=nan)``) and the last good checkpoint to ``--resume`` from.
    - ``action='skip'``: logs a warning with the same details, removes the non-finite
      values from the logged outputs (so the smoothed log stays readable) and counts the
      step in the message hub (``nonfinite_loss_skipped_steps``, kept in checkpoints).
      After ``max_skips`` skipped steps in total it stops as with ``'stop'``. If the
      forward pass already wrote non-finite values into the model's buffers (BatchNorm
      running statistics), skipping cannot undo that and it stops too.

    Independently of the loss, ``before_save_checkpoint`` refuses to write a checkpoint
    whose weights (model or EMA) hold NaN or inf: it raises and names the tensors.

    The base runtime config lists it (``default_hooks.nonfinite_loss``, action
    ``'stop'``), so ``tools/train.py`` and ``Runner.from_cfg`` run the same guard;
    ``tools/train.py --on-nonfinite-loss skip`` or
    ``default_hooks.nonfinite_loss.action='skip'`` change it.

    Args:
        action: ``'stop'`` or ``'skip'``.
        max_skips: with ``'skip'``, stop at the step that would be skipped beyond this
            many (counted over the whole run, resumes included).
    """

    # before RuntimeInfoHook (VERY_HIGH) copies the outputs into the message hub, and
    # before EMAHook / CheckpointHook use the weights
    priority = 'HIGHEST'

    def __init__(self, action: str = 'stop', max_skips: int = 100) -> None:
        if action not in ('stop', 'skip'):
            raise ValueError(f"NonFiniteLossHook: action must be 'stop' or 'skip', got {action!r}")
        if max_skips < 0:
            raise ValueError(f'NonFiniteLossHook: max_skips must be >= 0, got {max_skips}')
        self.action = action
        self.max_skips = int(max_skips)
        self._step_skipped = False
        self._handle = None

    # ---------------------------------------------------------------- the guard
    def before_train(self, runner) -> None:
        optim_wrapper = runner.optim_wrapper
        if not isinstance(optim_wrapper, OptimWrapper):
            raise TypeError('NonFiniteLossHook needs a single OptimWrapper, got '
                            f'{type(optim_wrapper).__name__}')
        if self._handle is None:
            self._handle = optim_wrapper.optimizer.register_step_pre_hook(self._skip_if_nonfinite)

    def after_train(self, runner) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _skip_if_nonfinite(self, optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        """Step pre-hook: with a non-finite gradient, drop every gradient (the step then
        leaves all weights and optimizer states as they are)."""
        params = [p for group in optimizer.param_groups for p in group['params']
                  if p.grad is not None]
        if not params:
            return
        norm = torch.nn.utils.get_total_norm([p.grad for p in params])
        if bool(torch.isfinite(norm)):
            return
        self._step_skipped = True
        for p in params:
            p.grad = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        outputs = outputs if outputs is not None else {}
        bad = nonfinite_parts(outputs)
        if not _any_rank(self._step_skipped or bool(bad)):
            return
        self._step_skipped = False
        where = (f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}, '
                 f'batch {batch_idx + 1} of the epoch)')
        parts = format_parts(bad) or 'the summed loss'
        skipped = int(runner.message_hub.get_info(SKIPPED_KEY, 0))
        broken_buffers = _nonfinite_tensors(runner.model.named_buffers())
        if self.action == 'skip' and skipped < self.max_skips and not broken_buffers:
            runner.message_hub.update_info(SKIPPED_KEY, skipped + 1)
            for key in bad:
                outputs.pop(key, None)
            print_log(f'NonFiniteLossHook: non-finite loss at {where}: {parts}; the step was '
                      f'skipped ({skipped + 1} skipped so far, at most {self.max_skips})',
                      logger='current', level=logging.WARNING)
            return
        if broken_buffers:
            reason = (f' The forward pass also wrote NaN/inf into buffers '
                      f'{_shorten(broken_buffers)}, which skipping cannot undo.')
        elif self.action == 'skip':
            reason = (f' This would be skipped step {skipped + 1}, beyond '
                      f'max_skips={self.max_skips}.')
        else:
            reason = (" The step was not applied. To skip such steps instead, run tools/train.py "
                      "with --on-nonfinite-loss skip (NonFiniteLossHook(action='skip')).")
        raise NonFiniteLossError(
            f'Non-finite loss at {where}: {parts}.{reason} The weights in memory and on disk '
            f'hold no NaN; {last_good_checkpoint(runner)}')

    # ---------------------------------------------------------------- saving
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = []
        for key in ('state_dict', 'ema_state_dict'):
            if isinstance(checkpoint.get(key), dict):
                bad += [f'{key}.{name}' for name in
                        _nonfinite_tensors(checkpoint[key].items())]
        if bad:
            raise NonFiniteLossError(
                f'Refusing to save a checkpoint at iteration {runner.iter + 1}: tensors '
                f'{_shorten(bad)} hold NaN or inf. {last_good_checkpoint(runner)}')


def _any_rank(flag: bool) -> bool:
    """``flag`` or-ed over the ranks (every rank then stops or skips alike)."""
    if not (is_distributed() and get_world_size() > 1):
        return flag
    value = torch.tensor(int(flag))
    all_reduce(value, op='max')
    return bool(value.item())


def nonfinite_parts(outputs: dict) -> Dict[str, float]:
    """The entries of a train step's ``log_vars`` that are NaN or inf, as floats."""
    bad = {}
    for key, value in outputs.items():
        if isinstance(value, torch.Tensor):
            flat = value.detach().float().reshape(-1)
            nonfinite = flat[~torch.isfinite(flat)]
            if len(nonfinite):
                bad[key] = float(nonfinite[0])
        elif isinstance(value, float) and not math.isfinite(value):
            bad[key] = value
    return bad


def format_parts(bad: Dict[str, float]) -> str:
    """``'loss=nan, loss_bbox=nan (bbox_s16=nan), loss_obj=inf (obj_s8=inf)'``: each loss
    part with the per-scale logs (``bbox_s16`` belongs to ``loss_bbox``) behind it."""
    losses = [k for k in bad if 'loss' in k]
    others = [k for k in bad if 'loss' not in k]
    text = []
    for key in losses:
        stem = key[len('loss_'):] if key.startswith('loss_') else None
        mine = [k for k in others if stem and k.startswith(f'{stem}_')]
        others = [k for k in others if k not in mine]
        extra = f' ({", ".join(f"{k}={bad[k]}" for k in mine)})' if mine else ''
        text.append(f'{key}={bad[key]}{extra}')
    text += [f'{k}={bad[k]}' for k in others]
    return ', '.join(text)


def last_good_checkpoint(runner) -> str:
    """A sentence naming the checkpoint to resume from (``work_dir/last_checkpoint``)."""
    pointer = osp.join(runner.work_dir, 'last_checkpoint')
    path = None
    if osp.isfile(pointer):
        with open(pointer) as f:
            path = f.read().strip() or None
    if path is None:
        return ('no checkpoint has been saved yet in '
                f'{runner.work_dir}; start again (perhaps with a lower learning rate).')
    return (f'the last good checkpoint is {path}: resume from it with `python tools/train.py '
            'CONFIG --resume` (perhaps with a lower learning rate or gradient clipping).')


def _nonfinite_tensors(named: Sequence) -> List[str]:
    return [name for name, t in named
            if isinstance(t, torch.Tensor) and t.is_floating_point()
            and not bool(torch.isfinite(t).all())]


def _shorten(names: List[str], limit: int = 5) -> str:
    more = f' and {len(names) - limit} more' if len(names) > limit else ''
    return ', '.join(names[:limit]) + more


def set_nonfinite_loss_action(cfg, action: Optional[str] = None) -> None:
    """``tools/train.py --on-nonfinite-loss ACTION``: set the ``action`` of the config's
    :class:`NonFiniteLossHook` (``default_hooks.nonfinite_loss`` or in ``custom_hooks``),
    in the config, so the dumped config shows it. ``None`` changes nothing.

    Raises:
        KeyError: ``action`` is given but the config lists no ``NonFiniteLossHook``.
    """
    if action is None:
        return
    hooks = list((cfg.get('default_hooks') or {}).values()) + list(cfg.get('custom_hooks') or [])
    mine = [h for h in hooks if isinstance(h, dict) and h.get('type') in
            ('NonFiniteLossHook', NonFiniteLossHook)]
    if not mine:
        raise KeyError('--on-nonfinite-loss: the config lists no NonFiniteLossHook; add '
                       "default_hooks=dict(nonfinite_loss=dict(type='NonFiniteLossHook')) "
                       '(configs/_base_/default_runtime.py has it)')
    for hook in mine:
        hook['action'] = action
