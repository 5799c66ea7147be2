"""Run any registered assigner over all scales of a batch, without the network.

Assignment goes through the one path the loss uses, ``head.assign`` (a head's
``AssignMixin.assign``), given grid sizes instead of prediction maps: prediction-free
assigners need only the GT, the anchors, the grid size and the stride of each scale.
:func:`assign_scales` takes those from a config's ``model.bbox_head`` (falling back to the
head class's own defaults, :func:`head_anchors_strides`) and the input size, through a
YOLOHead that holds just those anchors and strides (:func:`anchor_head`).
"""
import functools
import inspect
import math
from collections.abc import Sequence
from typing import Optional, Union

import torch
from mmengine.config import Config
from torch import Tensor

from yolo_toolbox.models.task_modules.assigners import ASSIGNER_ALIASES, GridAssignResult
from yolo_toolbox.registry import MODELS, TASK_UTILS

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


def build_head(cfg: Config):
    """The config's ``model.bbox_head``, built alone for assigning without the network
    (``head.assign``): where the config leaves ``in_channels`` to the detector (the neck's
    widths) it gets 1-channel inputs, on which neither assignment nor decoding depends."""
    head_cfg = dict(cfg.model.bbox_head)
    if 'in_channels' not in head_cfg:
        _, strides = head_anchors_strides(cfg)
        head_cfg['in_channels'] = [1] * len(strides)
    return MODELS.build(head_cfg)


def grid_sizes(input_hw: Sequence[int], strides: Sequence[int]) -> list[tuple[int, int]]:
    """(H, W) of each scale's prediction map for an input of ``input_hw`` pixels."""
    return [(math.ceil(input_hw[0] / s), math.ceil(input_hw[1] / s)) for s in strides]


def resolve_assigners(names: Union[None, str, Sequence[str]], cfg: Config) -> dict:
    """Assigner configs by display name.

    Args:
        names: None or '' for the configured ``model.bbox_head.assigner``; otherwise a
            comma-separated string or a list of short names (``ASSIGNER_ALIASES`` of
            ``yolo_toolbox.models.task_modules.assigners``: ``single``, ``nearby``,
            ``all``, ``yolov5``, ``atss``, ``simota``, ``tal``, ...), registered TASK_UTILS
            names (a custom assigner imported with the config's ``custom_imports``
            included) or ``config`` (the configured one). A name of the configured type
            (short or full) gets the configured assigner with all its settings; any other
            gets the configured ``match_iou_thres`` / ``filter_by_max_iou`` where its
            class accepts them.

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
        type_name = ASSIGNER_ALIASES.get(name, name)
        if name == 'config' or type_name == configured.get('type'):
            if not configured:
                raise ValueError('the config has no model.bbox_head.assigner; name assigners '
                                 'with --assigners')
            out[configured['type'] if name == 'config' else name] = configured
            continue
        assigner_cls = TASK_UTILS.get(type_name)
        if assigner_cls is None:
            raise KeyError(f'{name!r} is not a registered assigner; use one of '
                           f'{sorted(ASSIGNER_ALIASES)}, a TASK_UTILS name, or import your own '
                           "with custom_imports = dict(imports=['my_assigner']) in the config")
        params = inspect.signature(assigner_cls).parameters
        out[name] = dict(type=type_name, **{k: configured[k] for k in SHARED_KEYS
                                            if k in configured and k in params})
    return out


def build_assigners(names: Union[None, str, Sequence[str]], cfg: Config) -> dict:
    """``{name: assigner}`` built from :func:`resolve_assigners`."""
    return {name: TASK_UTILS.build(c) for name, c in resolve_assigners(names, cfg).items()}


@functools.lru_cache(maxsize=16)
def _cached_anchor_head(anchors: tuple, strides: tuple, device: str):
    from yolo_toolbox.models.dense_heads import YOLOHead
    num_levels = len(strides)
    return YOLOHead(num_classes=1, in_channels=[1] * num_levels, anchors=anchors,
                    strides=strides, lambda_scales=[1.0] * num_levels).to(device)


def anchor_head(anchors: Tensor, strides: Sequence[int]):
    """A YOLOHead with these anchors (S, A, 2) and strides (S,) and nothing else of a
    model (one class, 1-channel inputs): what :func:`assign_scales` assigns through.
    Prediction-free assigners see only a head's anchors, grid sizes and strides, so this
    assigns as the configured head would (an anchor-free head's point per cell is the
    anchor (stride, stride), see :func:`head_anchors_strides`). Cached per anchors,
    strides and device."""
    anchors = torch.as_tensor(anchors, dtype=torch.float32)
    return _cached_anchor_head(tuple(tuple(map(tuple, scale)) for scale in anchors.tolist()),
                               tuple(int(s) for s in strides), str(anchors.device))


def assign_scales(assigner, bboxes_labels: Tensor, input_hw: Sequence[int],
                  anchors: Union[Tensor, Sequence], strides: Sequence[int],
                  record: bool = False
                  ) -> tuple[list[GridAssignResult], Optional[list[Optional[Candidates]]]]:
    """Assign a batch at every scale through ``head.assign``, the path of the loss.

    Args:
        assigner: a ``BaseGridAssigner`` that does not use predictions.
        bboxes_labels: (N, 6) batch index, label, x1, y1, x2, y2 in input pixels.
        input_hw: (H, W) of the network input.
        anchors: (S, A, 2) anchor w, h in input pixels.
        strides: (S,) pixels per cell.
        record: also return the candidates before conflict resolution
            (``GridAssignResult.candidates``).

    Returns:
        One GridAssignResult per scale and, with ``record``, per scale the candidates
        (None where the assigner found positives without ``BaseGridAssigner.select``,
        e.g. the multi-level ones: not measurable).
    """
    if getattr(assigner, 'uses_predictions', False):
        raise ValueError(
            f'{type(assigner).__name__} chooses positives from the network\'s predictions; '
            'the assignment tools work without a network, so they take assigners that do '
            'not (e.g. single, nearby, all, yolov5, atss); see the assigner_sweep tool for '
            'the others')
    head = anchor_head(torch.as_tensor(anchors).to(bboxes_labels.device), strides)
    results = head.assign(grid_sizes(input_hw, strides), bboxes_labels, assigner=assigner)
    if not record:
        return results, None
    candidates = []
    for result in results:
        if result.candidates is not None:
            candidates.append(tuple(result.candidates))
        elif result.num_pos == 0:
            candidates.append(tuple(result))
        else:
            candidates.append(None)
    return results, candidates


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
