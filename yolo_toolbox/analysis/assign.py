"""Run any registered assigner over all scales of a batch, without the network.

The assigner contract (``BaseGridAssigner.assign``) needs only the GT, the anchors, the
grid size and the stride of each scale; this module takes them from a config's
``model.bbox_head`` (falling back to the head class's own defaults) and the input size.
"""
import inspect
import math
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.config import Config
from torch import Tensor

from yolo_toolbox.models.task_modules.assigners import (
    ASSIGNER_ALIASES,
    AssignLevel,
    GridAssignResult,
)
from yolo_toolbox.registry import MODELS, TASK_UTILS
from yolo_toolbox.structures import xyxy_to_cxcywh

#: the assigners' short names: the same dict as ``assigners.ASSIGNER_ALIASES`` (one table)
SHORT_NAMES = ASSIGNER_ALIASES
#: config keys of the configured assigner that carry over to a short-named one
SHARED_KEYS = ('match_iou_thres', 'filter_by_max_iou')

#: candidates of one scale before conflict resolution: (batch_idx, anchor_idx, grid_y,
#: grid_x, gt_idx), each (M,) long
Candidates = tuple[Tensor, Tensor, Tensor, Tensor, Tensor]


def head_anchors_strides(cfg: Config) -> tuple[Tensor, tuple[int, ...]]:
    """Anchors (S, A, 2) w, h in input pixels and strides (S,) of ``cfg.model.bbox_head``;
    a key the config leaves out takes the head class's default, as in the model. An
    anchor-free head (no ``anchors`` argument, e.g. YOLOv8Head) has one point per cell,
    which assigners see as the anchor (stride, stride)."""
    head_cfg = cfg.model.bbox_head
    defaults = inspect.signature(MODELS.get(head_cfg['type'])).parameters
    strides = head_cfg.get('strides', defaults['strides'].default)
    if 'anchors' in head_cfg or 'anchors' in defaults:
        anchors = head_cfg.get('anchors', defaults['anchors'].default)
    else:
        anchors = [[(stride, stride)] for stride in strides]
    anchors = torch.tensor(anchors, dtype=torch.float32)
    if anchors.ndim != 3 or anchors.shape[0] != len(strides):
        raise ValueError(f'anchors must be one list of (w, h) per scale, {len(strides)} scales; '
                         f'got shape {tuple(anchors.shape)}')
    return anchors, tuple(int(s) for s in strides)


def grid_sizes(input_hw: Sequence[int], strides: Sequence[int]) -> list[tuple[int, int]]:
    """(H, W) of each scale's prediction map for an input of ``input_hw`` pixels."""
    return [(math.ceil(input_hw[0] / s), math.ceil(input_hw[1] / s)) for s in strides]


def resolve_assigners(names: Union[None, str, Sequence[str]], cfg: Config) -> dict:
    """Assigner configs by display name.

    Args:
        names: None or '' for the configured ``model.bbox_head.assigner``; otherwise a
            comma-separated string or a list of short names (``single``, ``nearby``,
            ``all``), registered TASK_UTILS names (a custom assigner imported with the
            config's ``custom_imports`` included) or ``config`` (the configured one).
            A name other than the configured type gets the configured
            ``match_iou_thres`` / ``filter_by_max_iou`` where its class accepts them.

    Returns:
        ``{name: assigner config}`` in the given order.
    """
    configured = dict(cfg.model.bbox_head.get('assigner') or {})
    if isinstance(names, str):
        names = [n.strip() for n in names.split(',') if n.strip()]
    if not names:
        names = ['config']
    out = {}
    for name in names:
        if name == 'config' or name == configured.get('type'):
            if not configured:
                raise ValueError('the config has no model.bbox_head.assigner; name assigners '
                                 'with --assigners')
            out[configured['type'] if name == 'config' else name] = configured
            continue
        type_name = SHORT_NAMES.get(name, name)
        assigner_cls = TASK_UTILS.get(type_name)
        if assigner_cls is None:
            raise KeyError(f'{name!r} is not a registered assigner; use one of '
                           f'{sorted(SHORT_NAMES)}, a TASK_UTILS name, or import your own '
                           "with custom_imports = dict(imports=['my_assigner']) in the config")
        params = inspect.signature(assigner_cls).parameters
        out[name] = dict(type=type_name, **{k: configured[k] for k in SHARED_KEYS
                                            if k in configured and k in params})
    return out


def build_assigners(names: Union[None, str, Sequence[str]], cfg: Config) -> dict:
    """``{name: assigner}`` built from :func:`resolve_assigners`."""
    return {name: TASK_UTILS.build(c) for name, c in resolve_assigners(names, cfg).items()}


@contextmanager
def recording_candidates(assigner):
    """Record what ``assigner.select`` (conflict resolution) receives.

    Yields a list that gets one :data:`Candidates` tuple per ``select`` call. Assigners
    that resolve conflicts without :meth:`BaseGridAssigner.select` record nothing.
    """
    calls = []
    original = getattr(assigner, 'select', None)
    if original is None:
        yield calls
        return
    had_own = 'select' in vars(assigner)

    def select(batch_idx, anchor_idx, grid_y, grid_x, gt_idx, *args, **kwargs):
        calls.append((batch_idx, anchor_idx, grid_y, grid_x, gt_idx))
        return original(batch_idx, anchor_idx, grid_y, grid_x, gt_idx, *args, **kwargs)

    assigner.select = select
    try:
        yield calls
    finally:
        if had_own:
            assigner.select = original
        else:
            del assigner.select


def assign_scales(assigner, bboxes_labels: Tensor, input_hw: Sequence[int], anchors: Tensor,
                  strides: Sequence[int], record: bool = False
                  ) -> tuple[list[GridAssignResult], Optional[list[Optional[Candidates]]]]:
    """Assign a batch at every scale, as ``YOLOHead.assign`` does in training.

    Args:
        assigner: any object with the ``BaseGridAssigner.assign`` contract.
        bboxes_labels: (N, 6) batch index, label, x1, y1, x2, y2 in input pixels.
        input_hw: (H, W) of the network input.
        anchors: (S, A, 2) anchor w, h in input pixels.
        strides: (S,) pixels per cell.
        record: also return the candidates before conflict resolution.

    Returns:
        One GridAssignResult per scale and, with ``record``, per scale the candidates
        (None where the assigner never called ``select`` although it found positives:
        not measurable).
    """
    gt_boxes = xyxy_to_cxcywh(bboxes_labels[:, 2:6].float())
    gt_labels = bboxes_labels[:, 1].long()
    batch_idx = bboxes_labels[:, 0].long()
    if getattr(assigner, 'uses_predictions', False):
        raise ValueError(
            f'{type(assigner).__name__} chooses positives from the network\'s predictions; '
            'the assignment tools work without a network, so they take assigners that do '
            'not (e.g. single, nearby, all, yolov5, atss); see the assigner_sweep tool for '
            'the others')
    if getattr(assigner, 'multi_level', False):  # chooses across scales at once (ATSS)
        levels = [AssignLevel(anchors[level], grid_size, strides[level])
                  for level, grid_size in enumerate(grid_sizes(input_hw, strides))]
        results = assigner.assign_levels(gt_boxes, gt_labels, batch_idx, levels)
        # candidates before conflict resolution are not recorded across scales
        return results, ([None] * len(results) if record else None)
    results, candidates = [], []
    for level, grid_size in enumerate(grid_sizes(input_hw, strides)):
        if not record:
            results.append(assigner.assign(gt_boxes, gt_labels, batch_idx, anchors[level],
                                           grid_size, strides[level]))
            continue
        with recording_candidates(assigner) as calls:
            result = assigner.assign(gt_boxes, gt_labels, batch_idx, anchors[level],
                                     grid_size, strides[level])
        results.append(result)
        if calls:
            candidates.append(tuple(torch.cat(parts) for parts in zip(*calls)))
        elif result.num_pos == 0:
            candidates.append(tuple(result))
        else:
            candidates.append(None)
    return results, (candidates if record else None)


def result_for_image(result: GridAssignResult, image_idx: int,
                     gt_batch_idx: Tensor) -> GridAssignResult:
    """The rows of one image, with ``gt_idx`` renumbered to that image's own GT order.

    Args:
        gt_batch_idx: (N,) batch index of every GT of the batch.
    """
    keep = result.batch_idx == image_idx
    local = torch.cumsum(gt_batch_idx == image_idx, 0) - 1  # (N,) index within the image
    return GridAssignResult(result.batch_idx[keep], result.anchor_idx[keep],
                            result.grid_y[keep], result.grid_x[keep],
                            local[result.gt_idx[keep]])
