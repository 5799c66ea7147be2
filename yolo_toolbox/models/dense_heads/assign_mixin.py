"""The one way to run label assignment at every scale: ``head.assign``, and its hooks.

Both heads (``YOLOHead``, ``YOLOv8Head``) assign through :meth:`AssignMixin.assign`: the
loss calls it once per batch, and so do the analysis tools (statistics, drawing, timing),
so what they show is what the loss learns from. A head provides only
:meth:`AssignMixin.assign_level`, what the assigner gets of one scale.

Recording what the assigner chose (e.g. to log or draw the positives of a training
batch) is done with a hook, in the style of ``torch.nn.Module.register_forward_hook``::

    records = []
    handle = model.bbox_head.register_assign_hook(
        lambda head, gt_bboxes_labels, results: records.append(results))
    model.train_step(data, optim_wrapper)  # the loss assigns once: one record
    handle.remove()
"""
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Union

from torch import Tensor
from torch.utils.hooks import RemovableHandle

from yolo_toolbox.models.task_modules.assigners import AssignLevel, GridAssignResult
from yolo_toolbox.structures import xyxy_to_cxcywh

#: ``hook(head, gt_bboxes_labels, results)``; its return value is ignored
AssignHook = Callable[[object, Tensor, list], None]


class AssignMixin:
    """Assignment over all scales (:meth:`assign`) and assign hooks for a head that has
    ``self.assigner`` and implements :meth:`assign_level`."""

    def assign_level(self, level: int, pred: Union[Tensor, Sequence[int]],
                     with_predictions: bool) -> AssignLevel:
        """What the assigner gets of scale ``level``: its anchors, grid size, stride and,
        with ``with_predictions``, the detached decoded boxes and scores of ``pred``.

        Args:
            pred: the raw prediction map of the scale, or its grid size (H, W) where
                there is none (then ``with_predictions`` must be False).
        """
        raise NotImplementedError

    def assign(self, preds: Sequence[Union[Tensor, Sequence[int]]], gt_bboxes_labels: Tensor,
               assigner=None) -> list[GridAssignResult]:
        """Assign a batch at every scale: ``assigner.assign_levels`` once, then the hooks.

        Args:
            preds: per scale (small stride first) the raw prediction map, as ``forward``
                gives it, or, without a network (analysis tools), the grid size (H, W)
                of the scale; the latter only for an assigner that does not use
                predictions (``uses_predictions = False``).
            gt_bboxes_labels: (N, 6) batch index, label, x1, y1, x2, y2 in input pixels.
            assigner: run this assigner instead of ``self.assigner`` (the analysis tools
                compare assigners through one head); the hooks see its results too.

        Returns:
            One ``GridAssignResult`` per scale. Results of assigners that resolve
            conflicts with ``BaseGridAssigner.select`` also carry ``candidates``, the
            (slot, GT) pairs proposed before that resolution.
        """
        assigner = self.assigner if assigner is None else assigner
        with_predictions = bool(getattr(assigner, 'uses_predictions', False))
        if with_predictions and not all(isinstance(p, Tensor) for p in preds):
            raise ValueError(f'{type(assigner).__name__} chooses positives from the '
                             "network's predictions: give assign() the prediction maps, "
                             'not grid sizes')
        levels = [self.assign_level(level, pred, with_predictions)
                  for level, pred in enumerate(preds)]
        results = assigner.assign_levels(xyxy_to_cxcywh(gt_bboxes_labels[:, 2:6].float()),
                                         gt_bboxes_labels[:, 1].long(),
                                         gt_bboxes_labels[:, 0].long(), levels)
        for hook in list(self._assign_hooks.values()):
            hook(self, gt_bboxes_labels, results)
        return results

    @property
    def _assign_hooks(self) -> 'OrderedDict[int, AssignHook]':
        hooks = self.__dict__.get('_assign_hooks_dict')
        if hooks is None:  # created on first use: no __init__ to chain in the heads
            hooks = self.__dict__['_assign_hooks_dict'] = OrderedDict()
        return hooks

    def register_assign_hook(self, hook: AssignHook) -> RemovableHandle:
        """Call ``hook(head, gt_bboxes_labels, results)`` after every :meth:`assign`.

        ``gt_bboxes_labels`` is the (N, 6) GT of the batch (batch index, label, x1, y1,
        x2, y2 in input pixels) and ``results`` the list of ``GridAssignResult``, one per
        scale, exactly the objects the loss goes on to use (``gt_idx`` indexes the rows
        of ``gt_bboxes_labels``). The hook must not change them in place; copy what it
        keeps beyond the step (``.clone()``, ``.cpu()``). Its return value is ignored.
        Hooks run in the order they were registered, in training (inside the loss) and
        whenever a tool calls :meth:`assign`.

        Returns:
            A handle; ``handle.remove()`` unregisters the hook.
        """
        if not callable(hook):
            raise TypeError(f'an assign hook must be callable, got {type(hook).__name__}')
        handle = RemovableHandle(self._assign_hooks)
        self._assign_hooks[handle.id] = hook
        return handle

    @staticmethod
    def grid_size_of(pred: Union[Tensor, Sequence[int]]) -> tuple[int, int]:
        """(H, W) of a prediction map (B, A, H, W, D), or the (H, W) given."""
        if isinstance(pred, Tensor):
            return tuple(pred.shape[2:4])
        grid_h, grid_w = pred
        return int(grid_h), int(grid_w)


__all__ = ['AssignHook', 'AssignMixin']
