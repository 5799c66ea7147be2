"""Label-assignment statistics: how many positives each GT gets, per scale and size.

What is measured, per assigner and scale (and ``all``: the scales together):

- ``pos_per_gt``: positives (slots (image, anchor, cell) assigned to the GT) per GT,
  mean and distribution in buckets ``0, 1, 2, 3-5, 6-10, >10`` (share of GTs).
- ``zero_pos``: share of GTs without any positive at that scale; for ``all``, share of
  GTs without a positive at any scale (what no loss term will ever learn).
- ``candidates``: distinct (slot, GT) pairs the assigner proposed *before* conflict
  resolution (what it passes to ``BaseGridAssigner.select``); ``contested_slots``:
  slots that more than one GT qualified for; ``dropped``: candidates - positives, the
  (slot, GT) pairs lost to conflict resolution (``filter_by_max_iou`` or random).
  Empty (NaN) for an assigner that resolves conflicts without ``select``.
- ``pos_per_gt_{small,medium,large}``: mean positives per GT by GT area in
  network-input pixels, COCO limits: small < 32^2 <= medium < 96^2 <= large.
- ``out_of_reach``: positives whose GT centre lies outside the assigner's declared
  ``reach`` from the positive's cell: the head cannot decode that centre, so these
  point at an assigner whose ``reach`` is too small (0 for a consistent assigner).
"""
import csv
import math
from collections.abc import Sequence
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from yolo_toolbox.models.task_modules.assigners import GridAssignResult
from yolo_toolbox.structures import xyxy_to_cxcywh

from .assign import Candidates

HIST_BUCKETS = ('0', '1', '2', '3-5', '6-10', '>10')
_HIST_EDGES = np.array([0, 1, 2, 3, 6, 11])  # lower edge of each bucket
SIZE_NAMES = ('small', 'medium', 'large')
SIZE_LIMITS = (32 ** 2, 96 ** 2)  # area limits in input pixels^2 (COCO)

COLUMNS = ('assigner', 'scale', 'num_images', 'num_gts', 'pos_per_gt',
           *(f'hist_{b}' for b in HIST_BUCKETS), 'zero_pos', 'num_pos', 'candidates',
           'contested_slots', 'dropped', 'out_of_reach', *(f'num_{s}' for s in SIZE_NAMES),
           *(f'pos_per_gt_{s}' for s in SIZE_NAMES), *(f'zero_pos_{s}' for s in SIZE_NAMES))


def size_bucket(areas: Tensor) -> Tensor:
    """(N,) areas in pixels^2 -> (N,) 0 small, 1 medium, 2 large (COCO limits)."""
    return torch.bucketize(areas, torch.tensor(SIZE_LIMITS, dtype=areas.dtype), right=True)


def positives_per_gt(result: GridAssignResult, num_gts: int) -> Tensor:
    """(N,) number of positives of each GT in one scale's result."""
    return torch.bincount(result.gt_idx, minlength=num_gts)[:num_gts]


def count_contested(candidates: Candidates, num_anchors: int, grid_size: Sequence[int],
                    num_gts: int) -> tuple[int, int]:
    """Distinct (slot, GT) candidate pairs and slots claimed by more than one GT.

    Args:
        candidates: (batch_idx, anchor_idx, grid_y, grid_x, gt_idx), each (M,).
        num_anchors, grid_size: A and (H, W) of the scale, to number the slots.
        num_gts: N, to number the (slot, GT) pairs.

    Returns:
        ``(num_candidates, num_contested_slots)``.
    """
    batch_idx, anchor_idx, grid_y, grid_x, gt_idx = (t.long() for t in candidates)
    if gt_idx.numel() == 0:
        return 0, 0
    grid_h, grid_w = grid_size
    slot = ((batch_idx * num_anchors + anchor_idx) * grid_h + grid_y) * grid_w + grid_x
    pairs = torch.unique(slot * max(num_gts, 1) + gt_idx)
    _, gts_per_slot = torch.unique(pairs // max(num_gts, 1), return_counts=True)
    return pairs.numel(), int((gts_per_slot > 1).sum())


def count_out_of_reach(result: GridAssignResult, gt_boxes_cxcywh: Tensor, stride: float,
                       reach: Optional[tuple[float, float]],
                       grid_size: Sequence[int]) -> int:
    """Positives whose GT centre, in cells from the corner of the positive's cell, lies
    outside ``reach`` = (low, high) on either axis (ends included); ``None`` means the
    whole map, (-grid size, grid size)."""
    if result.num_pos == 0:
        return 0
    centre = gt_boxes_cxcywh[result.gt_idx, :2] / stride  # (P, 2) x, y in cells
    offset = centre - torch.stack([result.grid_x, result.grid_y], dim=1).to(centre)
    if reach is None:
        size_xy = centre.new_tensor([grid_size[1], grid_size[0]])
        low, high = -size_xy, size_xy
    else:
        low, high = reach
    return int(((offset < low) | (offset > high)).any(dim=1).sum())


class AssignmentStats:
    """Accumulates the statistics of one assigner over batches; vectorised per batch.

    Args:
        strides: (S,) pixels per cell, small stride first (names the scales).
        reach: the assigner's declared ``reach`` (for ``out_of_reach``).
    """

    def __init__(self, strides: Sequence[int],
                 reach: Optional[tuple[float, float]] = None) -> None:
        self.strides = tuple(strides)
        self.reach = reach
        self.num_images = 0
        self._pos = []  # per batch (N, S) positives of each GT at each scale
        self._areas = []  # per batch (N,) GT areas in input pixels^2
        self.candidates = np.zeros(len(self.strides))
        self.contested = np.zeros(len(self.strides))
        self.out_of_reach = np.zeros(len(self.strides), dtype=int)

    def update(self, bboxes_labels: Tensor, results: Sequence[GridAssignResult],
               candidates: Optional[Sequence[Optional[Candidates]]], num_images: int,
               num_anchors: int, grid_sizes: Sequence[Sequence[int]]) -> None:
        """Add one batch.

        Args:
            bboxes_labels: (N, 6) batch index, label, x1, y1, x2, y2 in input pixels.
            results: one GridAssignResult per scale.
            candidates: per scale the candidates before conflict resolution (or None:
                not measured), as :func:`assign_scales` records them.
            num_images: images in the batch (also those without GT).
            num_anchors, grid_sizes: A and per scale (H, W), to number the slots.
        """
        num_gts = bboxes_labels.shape[0]
        self.num_images += num_images
        self._pos.append(torch.stack([positives_per_gt(r, num_gts) for r in results], dim=1)
                         if num_gts else torch.zeros((0, len(results)), dtype=torch.long))
        wh = (bboxes_labels[:, 4:6] - bboxes_labels[:, 2:4]).clamp(min=0)
        self._areas.append(wh[:, 0] * wh[:, 1])
        gt_boxes = xyxy_to_cxcywh(bboxes_labels[:, 2:6].float())
        for level, grid_size in enumerate(grid_sizes):
            self.out_of_reach[level] += count_out_of_reach(
                results[level], gt_boxes, self.strides[level], self.reach, grid_size)
            found = candidates[level] if candidates is not None else None
            if found is None:
                self.candidates[level] = self.contested[level] = math.nan
                continue
            num_cand, num_contested = count_contested(found, num_anchors, grid_size, num_gts)
            self.candidates[level] += num_cand
            self.contested[level] += num_contested

    def summary(self, name: str = '') -> list[dict]:
        """One row (see :data:`COLUMNS`) per scale ``s8``, ``s16``, ... and one ``all``."""
        pos = torch.cat(self._pos).numpy() if self._pos else np.zeros((0, len(self.strides)))
        areas = torch.cat(self._areas) if self._areas else torch.zeros(0)
        sizes = size_bucket(areas).numpy()
        scales = [(f's{s}', pos[:, i], self.candidates[i], self.contested[i],
                   self.out_of_reach[i]) for i, s in enumerate(self.strides)]
        scales.append(('all', pos.sum(1), self.candidates.sum(), self.contested.sum(),
                       self.out_of_reach.sum()))
        rows = []
        for scale, counts, num_cand, num_contested, num_out in scales:
            row = dict(assigner=name, scale=scale, num_images=self.num_images,
                       num_gts=len(counts), pos_per_gt=_mean(counts),
                       zero_pos=_mean(counts == 0), num_pos=int(counts.sum()),
                       candidates=num_cand, contested_slots=num_contested,
                       dropped=num_cand - counts.sum(), out_of_reach=int(num_out))
            bucket = np.searchsorted(_HIST_EDGES, counts, side='right') - 1
            for i, label in enumerate(HIST_BUCKETS):
                row[f'hist_{label}'] = _mean(bucket == i)
            for i, size in enumerate(SIZE_NAMES):
                in_size = sizes == i
                row[f'num_{size}'] = int(in_size.sum())
                row[f'pos_per_gt_{size}'] = _mean(counts[in_size])
                row[f'zero_pos_{size}'] = _mean(counts[in_size] == 0)
            rows.append(row)
        return rows


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def format_table(rows: Sequence[dict]) -> str:
    """A fixed-width text table of the main columns (shares in %)."""
    header = ('assigner', 'scale', 'GTs', 'pos/GT', *HIST_BUCKETS, 'zero', 'contested',
              'dropped', 'S pos/GT', 'M pos/GT', 'L pos/GT', 'out of reach')
    lines = []
    for row in rows:
        lines.append((row['assigner'], row['scale'], str(row['num_gts']),
                      f"{row['pos_per_gt']:.2f}",
                      *(f"{100 * row[f'hist_{b}']:.1f}%" for b in HIST_BUCKETS),
                      f"{100 * row['zero_pos']:.1f}%", _count(row['contested_slots']),
                      _count(row['dropped']),
                      *(f"{row[f'pos_per_gt_{s}']:.2f}" for s in SIZE_NAMES),
                      str(row['out_of_reach'])))
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    fmt = '  '.join(f'{{:<{w}}}' if i < 2 else f'{{:>{w}}}' for i, w in enumerate(widths))
    return '\n'.join([fmt.format(*header), fmt.format(*('-' * w for w in widths)),
                      *(fmt.format(*line) for line in lines)])


def _count(value: float) -> str:
    return 'n/a' if math.isnan(value) else str(int(value))


def write_csv(rows: Sequence[dict], path: str) -> None:
    """All :data:`COLUMNS` of ``rows`` to a CSV file."""
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def plot_stats(rows: Sequence[dict], path: str) -> None:
    """Four bar charts, one group per assigner: distribution of positives per GT (all
    scales), mean positives per GT per scale, zero-positive share per scale, and mean
    positives per GT per object size. Saved as PNG (matplotlib Agg)."""
    from matplotlib.figure import Figure

    names = list(dict.fromkeys(r['assigner'] for r in rows))
    scales = list(dict.fromkeys(r['scale'] for r in rows))
    by_key = {(r['assigner'], r['scale']): r for r in rows}
    panels = [
        ('positives per GT (all scales): share of GTs', list(HIST_BUCKETS),
         lambda n, c: by_key[(n, 'all')][f'hist_{c}']),
        ('mean positives per GT', scales, lambda n, c: by_key[(n, c)]['pos_per_gt']),
        ('share of GTs with zero positives', scales, lambda n, c: by_key[(n, c)]['zero_pos']),
        ('mean positives per GT by size (all scales)', list(SIZE_NAMES),
         lambda n, c: by_key[(n, 'all')][f'pos_per_gt_{c}']),
    ]
    fig = Figure(figsize=(12, 8), dpi=80, layout='constrained')
    width = 0.8 / max(len(names), 1)
    for k, (title, categories, value) in enumerate(panels):
        ax = fig.add_subplot(2, 2, k + 1)
        x = np.arange(len(categories))
        for j, name in enumerate(names):
            ax.bar(x + (j - (len(names) - 1) / 2) * width,
                   [value(name, c) for c in categories], width, label=name)
        ax.set_xticks(x, categories)
        ax.set_title(title)
        ax.grid(axis='y', alpha=0.3)
    fig.axes[0].legend()
    fig.savefig(path)
