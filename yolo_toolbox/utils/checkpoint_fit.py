"""Does a checkpoint fit a model? Name what differs, in the config's words.

mmengine loads ``load_from`` checkpoints with ``strict=False``: tensors whose shapes
differ are left at their initial values and only logged, so a 4-class checkpoint tested
under a 5-class config scores a random head. :func:`checkpoint_mismatch` finds such
differences before anything is loaded; :class:`~yolo_toolbox.engine.CheckpointFitHook`
(runner: ``load_from``, ``--resume``) and :func:`~yolo_toolbox.apis.init_detector` raise
:class:`CheckpointMismatchError` with its message.
"""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's tensors do not fit the model built from the config."""


def _strip(key: str) -> str:
    return key[len('module.'):] if key.startswith('module.') else key


def head_num_classes_of_checkpoint(model: nn.Module, state: Mapping,
                                   meta: Optional[Mapping]) -> Optional[int]:
    """The class count the checkpoint was trained with: its ``meta.dataset_meta.classes``,
    else what the head's output convs imply (``num_anchors * (5 + num_classes)``)."""
    classes = ((meta or {}).get('dataset_meta') or {}).get('classes')
    if classes:
        return len(classes)
    head = getattr(model, 'bbox_head', None)
    num_anchors = getattr(head, 'num_anchors', None)
    if head is None or not num_anchors:
        return None
    for key, value in state.items():
        if _strip(key).startswith('bbox_head.convs.') and key.endswith('weight'):
            out_channels = value.shape[0]
            if out_channels % num_anchors == 0:
                return out_channels // num_anchors - 5
    return None


def checkpoint_mismatch(model: nn.Module, state: Mapping[str, torch.Tensor],
                        meta: Optional[Mapping] = None,
                        skip_prefixes: Sequence[str] = ()) -> Optional[str]:
    """What does not fit when ``state`` is loaded into ``model``, or ``None``.

    Compares the shapes of the floating-point tensors both have, and the keys one has
    and the other lacks; keys under ``skip_prefixes`` are not compared (they are not
    loaded). When
    the head differs, the message leads with ``num_classes C vs C'`` (config vs checkpoint).

    Args:
        model: the model built from the config (not wrapped).
        state: the checkpoint's ``state_dict`` (a ``module.`` prefix is ignored).
        meta: the checkpoint's ``meta`` (``dataset_meta.classes`` names its classes).
    """
    # weights and statistics only: integer / byte entries (num_batches_tracked, settings a
    # module saves and checks itself, e.g. a box coder's) are left to the modules' loaders
    ours = {k: v for k, v in model.state_dict().items()
            if isinstance(v, torch.Tensor) and v.is_floating_point()}
    theirs = {_strip(k): v for k, v in state.items()
              if isinstance(v, torch.Tensor) and v.is_floating_point()}
    skip = tuple(skip_prefixes)
    differ: List[Tuple[str, tuple, tuple]] = [
        (k, tuple(ours[k].shape), tuple(v.shape)) for k, v in theirs.items()
        if k in ours and not k.startswith(skip) and tuple(ours[k].shape) != tuple(v.shape)]
    missing = [k for k in ours if k not in theirs and not k.startswith(skip)]
    unexpected = [k for k in theirs if k not in ours and not k.startswith(skip)]
    if not (differ or missing or unexpected):
        return None
    lines: List[str] = []
    head = getattr(model, 'bbox_head', None)
    ours_c = getattr(head, 'num_classes', None)
    theirs_c = head_num_classes_of_checkpoint(model, theirs, meta)
    if ours_c is not None and theirs_c is not None and ours_c != theirs_c:
        lines.append(f'num_classes {ours_c} vs {theirs_c} (config vs checkpoint)')
    if differ:
        lines.append(f'{len(differ)} tensors differ in shape (config vs checkpoint): '
                     + _shorten([f'{k} {list(a)} vs {list(b)}' for k, a, b in differ]))
        if any(not k.startswith('bbox_head.') for k, _, _ in differ):
            lines.append('backbone / neck shapes differ: compare depth, channel_sparsity '
                         'and widths of the config with the run that wrote the checkpoint')
    if missing:
        lines.append(f'{len(missing)} tensors of the model are not in the checkpoint: '
                     + _shorten(missing))
    if unexpected:
        lines.append(f'{len(unexpected)} tensors of the checkpoint are not in the model: '
                     + _shorten(unexpected))
    return '; '.join(lines)


def mismatch_error(checkpoint: str, problem: str, how_to_skip: str) -> CheckpointMismatchError:
    """The error every loader raises: the file, what differs, and how to fine-tune."""
    return CheckpointMismatchError(
        f'checkpoint {checkpoint} does not fit the model of the config: {problem}. '
        'Use the config the checkpoint was trained with; to fine-tune it on another class '
        f'count, {how_to_skip}')


def split_state(state: Dict[str, torch.Tensor], skip_prefixes: Sequence[str]
                ) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """``state`` without the keys under ``skip_prefixes``, and those keys."""
    skip = tuple(skip_prefixes)
    kept = {k: v for k, v in state.items() if not _strip(k).startswith(skip)}
    return kept, [k for k in state if k not in kept]


def _shorten(items: List[str], limit: int = 4) -> str:
    more = f' and {len(items) - limit} more' if len(items) > limit else ''
    return ', '.join(items[:limit]) + more
