"""Timing of assigners on random GT, next to a forward pass of the model.

An assigner is timed as the loss runs it: ``head.assign`` (``AssignMixin.assign``) on
prediction maps shaped as the head's output, which includes decoding the detached
predictions for an assigner that uses them.
"""
import math
import statistics
import time
from collections.abc import Callable, Sequence

import torch
from torch import Tensor


def random_gt(batch_size: int = 16, num_gts: int = 50, shape: int = 640,
              num_classes: int = 20, seed: int = 0) -> Tensor:
    """Random GT rows (batch_size * num_gts, 6) ``[batch_idx, label, x1, y1, x2, y2]``.

    Sides are log-uniform in [8, shape / 2] pixels (aspect ratio free), centres uniform
    over the image, boxes clipped to the ``shape`` x ``shape`` image.
    """
    gen = torch.Generator().manual_seed(seed)
    num = batch_size * num_gts
    wh = torch.empty(num, 2).uniform_(math.log(8.0), math.log(shape / 2), generator=gen).exp()
    centre = torch.rand(num, 2, generator=gen) * shape
    boxes = torch.cat([centre - wh / 2, centre + wh / 2], dim=1).clamp(0, shape)
    batch_idx = torch.arange(batch_size).repeat_interleave(num_gts).float()
    labels = torch.randint(num_classes, (num,), generator=gen).float()
    return torch.cat([batch_idx[:, None], labels[:, None], boxes], dim=1)


def median_ms(fn: Callable[[], object], repeat: int = 20, warmup: int = 2,
              sync: Callable[[], None] = lambda: None) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeat`` runs."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def random_preds(head, batch_size: int, input_hw: Sequence[int], seed: int = 0) -> list:
    """Random raw prediction maps (standard normal), per scale (B, A, H, W, D) as
    ``head.forward`` gives them for an input of ``input_hw`` (``head.raw_pred_layout``),
    on the head's device. Their values do not change an assigner's amount of work much;
    the shapes are what matter."""
    gen = torch.Generator().manual_seed(seed)
    num_anchors, width = head.raw_pred_layout
    device = next(head.parameters()).device
    return [torch.randn(batch_size, num_anchors, math.ceil(input_hw[0] / stride),
                        math.ceil(input_hw[1] / stride), width, generator=gen).to(device)
            for stride in head.strides]


def time_assigner(head, preds: Sequence[Tensor], bboxes_labels: Tensor, assigner=None,
                  repeat: int = 20) -> dict:
    """``dict(ms, num_pos)``: median ms of ``head.assign(preds, bboxes_labels,
    assigner=assigner)`` (the head's own assigner if None) and the positives it gives
    (all scales)."""
    sync = torch.cuda.synchronize if bboxes_labels.is_cuda else (lambda: None)

    def run() -> list:
        return head.assign(preds, bboxes_labels, assigner=assigner)

    num_pos = sum(r.num_pos for r in run())
    return dict(ms=median_ms(run, repeat=repeat, sync=sync), num_pos=num_pos)


def time_forward(model: torch.nn.Module, inputs: Tensor, repeat: int = 3) -> float:
    """Median ms of ``model(inputs, mode='tensor')`` without gradients (eval mode)."""
    sync = torch.cuda.synchronize if inputs.is_cuda else (lambda: None)
    model.eval()
    with torch.no_grad():
        return median_ms(lambda: model(inputs, mode='tensor'), repeat=repeat, warmup=1,
                         sync=sync)
