"""Anchor fitting: best possible recall under an assigner's own rule, and k-means anchors.

Best possible recall (BPR) is the share of GTs that get at least one positive at some
scale when the assigner itself runs on the dataset's GT (positions included), so it
holds for any assigner: shape-IoU thresholds, neighbour cells, conflict resolution.
"""
from collections.abc import Iterable, Sequence

import torch
from torch import Tensor

from yolo_toolbox.structures import shape_iou

from .assign import assign_scales
from .data import GTBatch


def best_possible_recall(assigner, batches: Iterable[GTBatch], anchors: Tensor,
                         strides: Sequence[int]) -> dict:
    """Run ``assigner`` with ``anchors`` on every batch.

    Args:
        assigner: any object with the ``BaseGridAssigner.assign`` contract.
        batches: GT batches in network-input pixels.
        anchors: (S, A, 2) w, h in input pixels; strides: (S,) pixels per cell.

    Returns:
        ``dict(bpr, pos_per_gt, num_gts)``: share of GTs with >= 1 positive over all
        scales, mean positives per GT, number of GTs.
    """
    num_gts = num_with_pos = num_pos = 0
    for batch in batches:
        results, _ = assign_scales(assigner, batch.bboxes_labels, batch.input_hw, anchors,
                                   strides)
        counts = sum(torch.bincount(r.gt_idx, minlength=len(batch.bboxes_labels))
                     for r in results)
        num_gts += len(batch.bboxes_labels)
        num_with_pos += int((counts > 0).sum())
        num_pos += int(counts.sum())
    return dict(bpr=num_with_pos / max(num_gts, 1), pos_per_gt=num_pos / max(num_gts, 1),
                num_gts=num_gts)


def gt_wh(batches: Iterable[GTBatch], min_size: float = 2.0) -> Tensor:
    """(N, 2) w, h in input pixels of all GTs whose sides are >= ``min_size``."""
    wh = torch.cat([b.bboxes_labels[:, 4:6] - b.bboxes_labels[:, 2:4] for b in batches])
    return wh[(wh >= min_size).all(dim=1)]


def mean_best_iou(wh: Tensor, anchors: Tensor) -> float:
    """Mean over GTs of the best shape IoU with any anchor; wh (N, 2), anchors (..., 2)."""
    anchors = anchors.reshape(-1, 2)
    return float(shape_iou(wh[:, None], anchors[None]).max(dim=1).values.mean())


def kmeans_anchors(wh: Tensor, num_clusters: int = 9, iters: int = 300,
                   seed: int = 0) -> Tensor:
    """k-means of box shapes with distance 1 - shape IoU (centres aligned, w/h only).

    Initialised with k-means++ (seeded), each step assigns every box to the centre of
    highest shape IoU and moves each centre to the mean w, h of its boxes; an emptied
    cluster restarts at the box worst covered by the current centres. Stops after
    ``iters`` steps or when no box changes cluster.

    Args:
        wh: (N, 2) box w, h (pixels), N >= ``num_clusters``.

    Returns:
        (num_clusters, 2) anchor w, h, sorted by area (small first).
    """
    wh = wh.double()
    if len(wh) < num_clusters:
        raise ValueError(f'{len(wh)} boxes cannot make {num_clusters} clusters')
    gen = torch.Generator().manual_seed(seed)
    centres = wh[torch.randint(len(wh), (1,), generator=gen)]
    while len(centres) < num_clusters:  # k-means++: sample far (in 1 - IoU) boxes
        dist = 1 - shape_iou(wh[:, None], centres[None]).max(dim=1).values
        weights = dist.clamp(min=0) ** 2
        if weights.sum() <= 0:
            weights = torch.ones_like(weights)
        centres = torch.cat([centres, wh[torch.multinomial(weights, 1, generator=gen)]])
    assign = None
    for _ in range(iters):
        iou = shape_iou(wh[:, None], centres[None])  # (N, k)
        new_assign = iou.argmax(dim=1)
        if assign is not None and torch.equal(new_assign, assign):
            break
        assign = new_assign
        counts = torch.bincount(assign, minlength=num_clusters).to(wh)
        sums = torch.zeros_like(centres).index_add_(0, assign, wh)
        empty = counts == 0
        centres = torch.where(empty[:, None], centres, sums / counts.clamp(min=1)[:, None])
        if empty.any():
            worst = iou.max(dim=1).values.argsort()[:int(empty.sum())]
            centres[empty] = wh[worst]
    return centres[torch.argsort(centres.prod(dim=1))].float()


def split_by_scale(anchors: Tensor, num_scales: int) -> Tensor:
    """(k, 2) anchors sorted by area -> (S, k / S, 2): smallest to the finest scale."""
    if len(anchors) % num_scales:
        raise ValueError(f'{len(anchors)} anchors do not split into {num_scales} scales; '
                         f'use a multiple of {num_scales} clusters')
    return anchors.reshape(num_scales, -1, 2)


def format_anchors(anchors: Tensor) -> str:
    """(S, A, 2) anchors -> the config lines ``anchors = [[(w, h), ...], ...]`` and
    ``model = dict(bbox_head=dict(anchors=anchors))``, w and h rounded to pixels."""
    scales = ['[' + ', '.join(f'({round(float(w))}, {round(float(h))})' for w, h in scale) + ']'
              for scale in anchors]
    body = ',\n           '.join(scales)
    return f'anchors = [{body}]\nmodel = dict(bbox_head=dict(anchors=anchors))'
