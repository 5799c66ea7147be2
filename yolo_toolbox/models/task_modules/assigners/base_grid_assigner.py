"""The assigner contract: which anchors at which grid cells each GT box supervises."""
from abc import ABCMeta, abstractmethod
from collections.abc import Sequence
from typing import NamedTuple, Optional

import torch
from torch import Tensor


class _GridSlots(NamedTuple):
    batch_idx: Tensor
    anchor_idx: Tensor
    grid_y: Tensor
    grid_x: Tensor
    gt_idx: Tensor


class GridAssignResult(_GridSlots):
    """Positives of one scale for a whole batch; one row per positive, all (P,) long.

    ``(batch_idx[i], anchor_idx[i], grid_y[i], grid_x[i])`` is a slot of the
    prediction map (B, A, H, W) and ``gt_idx[i]`` the row of the GT it learns.

    The targets an assigner declares (optional, each (P,) float, not items of the
    tuple; ``None`` leaves the head's default; see ``BaseGridAssigner.declared_targets``):

    - ``obj_target``: the objectness (quality) target of each positive, e.g. the
      centerness of ATSS; default: the head's ``assign_conf_method``. ``target`` is
      its older name and still accepted.
    - ``cls_target``: the target of the GT's class (the other classes stay 0), e.g. the
      IoU of YOLOX or the normalised alignment of TOOD / YOLOv8; default 1 (one-hot).
    - ``box_weight``: the weight of each positive in the box loss, which becomes the
      weighted mean ``sum(w * loss) / sum(w)`` (TOOD / YOLOv8 weight by the alignment,
      ATSS by the centerness); default: equal weights (the plain mean).

    The result unpacks and iterates as the five index tensors.

    ``candidates`` (not an item of the tuple either): the ``(batch_idx, anchor_idx,
    grid_y, grid_x, gt_idx)`` pairs, each (M,) long, that the assigner proposed before
    conflict resolution, where it resolved them with :meth:`BaseGridAssigner.select`
    (which sets it); None otherwise. The analysis tools count contested slots from it.
    """
    obj_target: Optional[Tensor] = None
    cls_target: Optional[Tensor] = None
    box_weight: Optional[Tensor] = None
    candidates: Optional[tuple[Tensor, Tensor, Tensor, Tensor, Tensor]] = None

    def __new__(cls, batch_idx: Tensor, anchor_idx: Tensor, grid_y: Tensor, grid_x: Tensor,
                gt_idx: Tensor, target: Optional[Tensor] = None, *,
                obj_target: Optional[Tensor] = None, cls_target: Optional[Tensor] = None,
                box_weight: Optional[Tensor] = None) -> 'GridAssignResult':
        self = super().__new__(cls, batch_idx, anchor_idx, grid_y, grid_x, gt_idx)
        if target is not None and obj_target is not None:
            raise ValueError('give the objectness target as obj_target or as target, not both')
        for name, value in (('obj_target', obj_target if target is None else target),
                            ('cls_target', cls_target), ('box_weight', box_weight)):
            if value is not None:
                if value.shape != gt_idx.shape:
                    raise ValueError(f'{name} must have one value per positive, shape '
                                     f'{tuple(gt_idx.shape)}; got {tuple(value.shape)}')
                setattr(self, name, value)
        return self

    @property
    def target(self) -> Optional[Tensor]:
        """The older name of :attr:`obj_target`."""
        return self.obj_target

    @classmethod
    def empty(cls, device: torch.device) -> 'GridAssignResult':
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return cls(empty, empty, empty, empty, empty)

    @property
    def num_pos(self) -> int:
        return self.gt_idx.numel()


class AssignLevel(NamedTuple):
    """What an assigner gets of one scale (:meth:`BaseGridAssigner.assign_levels`).

    ``pred_boxes`` / ``pred_scores`` are given only to assigners that declare
    ``uses_predictions = True`` (else None); they are detached.
    """
    anchors: Tensor  # (A, 2) anchor w, h in pixels at this scale
    grid_size: tuple[int, int]  # (H, W) of the prediction map
    stride: float  # pixels per cell
    pred_boxes: Optional[Tensor] = None  # (B, A, H, W, 4) cx, cy, w, h in input pixels
    pred_scores: Optional[Tensor] = None  # (B, A, H, W, C) objectness x class prob


class BaseGridAssigner(metaclass=ABCMeta):
    """Base class of grid assigners.

    An assigner works on a whole batch with tensors only (no Python loop over images or
    GTs) and declares ``reach``: the box-centre offsets, in cells from the top-left corner
    of a positive's cell, that a positive must be able to decode (its GT centre is there).
    The head refuses, when it is built, a box coder that cannot decode that reach;
    :meth:`default_coder` is the coder it uses when its config names none. Inference
    uses the coder alone, never the assigner.

    The head calls :meth:`assign_levels` once per batch with every scale. A *static*
    assigner implements only the per-scale :meth:`assign`; the default
    :meth:`assign_levels` runs it on each scale. A *multi-level* assigner (see
    ``BaseMultiLevelAssigner``) sets ``multi_level = True`` and overrides
    :meth:`assign_levels` to choose across scales at once; with ``uses_predictions =
    True`` the head also gives it every slot's detached decoded box and score.

    Args:
        match_iou_thres: IoU threshold for an anchor to become a positive.
        filter_by_max_iou: where several GTs claim the same (image, anchor, cell), keep
            the one with the highest IoU; if False keep one of them at random.
    """

    #: (low, high): the GT centre of a positive lies in [cell + low, cell + high) along
    #: x and y, in cells from the positive cell's top-left corner; ``None``: anywhere.
    reach: Optional[tuple[float, float]] = (0.0, 1.0)
    #: 'sigmoid' or 'tanh': the squash of :meth:`default_coder` (the original's choice).
    squash: str = 'sigmoid'
    #: whether :meth:`assign_levels` needs ``pred_boxes`` / ``pred_scores`` (the head
    #: decodes them only then)
    uses_predictions: bool = False
    #: whether positives are chosen across scales at once (:meth:`assign_levels`
    #: overridden) instead of scale by scale (:meth:`assign`)
    multi_level: bool = False

    #: which of ``obj_target``, ``cls_target``, ``box_weight`` its results fill (the head
    #: applies whatever a result carries; this is for docs, logs and tools)
    declared_targets: tuple[str, ...] = ()

    def __init__(self, match_iou_thres: float = 0.0625, filter_by_max_iou: bool = True) -> None:
        self.match_iou_thres = match_iou_thres
        self.filter_by_max_iou = filter_by_max_iou

    @abstractmethod
    def assign(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor, anchors: Tensor,
               grid_size: tuple[int, int], stride: float) -> GridAssignResult:
        """Assign GTs of a batch to (image, anchor, cell) slots of one scale.

        Args:
            gt_boxes: (N, 4) cx, cy, w, h in network-input pixels.
            gt_labels: (N,) class indices.
            batch_idx: (N,) image index of each GT.
            anchors: (A, 2) anchor w, h in pixels at this scale.
            grid_size: (H, W) of the prediction map.
            stride: pixels per cell.

        Returns:
            GridAssignResult with one row per positive.
        """

    def assign_levels(self, gt_boxes: Tensor, gt_labels: Tensor, batch_idx: Tensor,
                      levels: Sequence[AssignLevel]) -> list[GridAssignResult]:
        """Assign GTs of a batch at every scale; one GridAssignResult per level.

        The head's entry point. Static assigners keep this default: :meth:`assign` on
        each level. ``gt_boxes`` etc. as in :meth:`assign`; ``levels`` small stride first.
        """
        return [self.assign(gt_boxes, gt_labels, batch_idx, level.anchors, level.grid_size,
                            level.stride) for level in levels]

    def default_coder(self) -> dict:
        """The box coder a head uses with this assigner when its config names none: the
        original's bounded coder over exactly the reach (single grid: ``sigmoid``,
        nearby grid ``1.5 * tanh + 0.5``, all grid ``tanh * grid_size``, YOLOv5
        ``2 * sigmoid - 0.5``), sizes as YOLOv5 (``(2 * sigmoid) ** 2 * anchor``)."""
        return dict(type='YOLOBBoxCoder', centre_reach=self.reach, squash=self.squash,
                    wh_decode='sigmoid_square')

    @staticmethod
    def gt_cells(gt_boxes: Tensor, grid_size: tuple[int, int],
                 stride: float) -> tuple[Tensor, Tensor]:
        """(N,) cell row and column of each GT centre: floor(centre / stride), clamped
        to the map (a centre on the right or bottom edge belongs to the last cell)."""
        grid_h, grid_w = grid_size
        cell_x = torch.div(gt_boxes[:, 0], stride, rounding_mode='floor').long()
        cell_y = torch.div(gt_boxes[:, 1], stride, rounding_mode='floor').long()
        return cell_y.clamp(0, grid_h - 1), cell_x.clamp(0, grid_w - 1)

    def select(self, batch_idx: Tensor, anchor_idx: Tensor, grid_y: Tensor, grid_x: Tensor,
               gt_idx: Tensor, iou: Tensor, num_anchors: int,
               grid_size: tuple[int, int]) -> GridAssignResult:
        """Resolve candidates (all (M,)) that claim the same slot; one GT per slot.

        With ``filter_by_max_iou`` the candidate with the highest ``iou`` wins a
        slot, otherwise a random one does. The result keeps the candidates it was given
        as ``result.candidates``.
        """
        candidates = (batch_idx, anchor_idx, grid_y, grid_x, gt_idx)
        if gt_idx.numel() == 0:
            result = GridAssignResult.empty(gt_idx.device)
        else:
            grid_h, grid_w = grid_size
            slot = ((batch_idx * num_anchors + anchor_idx) * grid_h + grid_y) * grid_w + grid_x
            keep = self.best_per_slot(slot, iou if self.filter_by_max_iou else None)
            result = GridAssignResult(batch_idx[keep], anchor_idx[keep], grid_y[keep],
                                      grid_x[keep], gt_idx[keep])
        result.candidates = candidates  # what was proposed, for the analysis tools
        return result

    @staticmethod
    def best_per_slot(slot: Tensor, priority: Optional[Tensor]) -> Tensor:
        """Indices of the candidates (all (M,)) that win their ``slot`` id: the highest
        ``priority`` (ties: the first candidate), or a random one when it is None."""
        if priority is not None:
            order = torch.argsort(priority, descending=True, stable=True)
        else:
            order = torch.randperm(slot.numel(), device=slot.device)
        by_slot = order[torch.argsort(slot[order], stable=True)]
        slot_sorted = slot[by_slot]
        first = torch.ones_like(slot_sorted, dtype=torch.bool)
        first[1:] = slot_sorted[1:] != slot_sorted[:-1]
        return by_slot[first]
