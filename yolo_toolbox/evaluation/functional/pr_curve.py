"""Precision-recall curves from an evaluated COCOeval."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def plot_pr_curves(coco_eval: Any, class_names: Sequence[str], out_png: str,
                   iou_thr: float = 0.5) -> None:
    """Plot COCO's interpolated precision against recall, one line per class, and save a PNG.

    Reads ``coco_eval.eval['precision'][t, :, k, 0, -1]`` (IoU threshold ``iou_thr``, area
    'all', last maxDets) over ``coco_eval.params.recThrs`` (101 recall points). Classes
    without GT (precision -1) are skipped; the bold line is the mean over the rest.

    Args:
        coco_eval: an evaluated, accumulated COCOeval.
        class_names: one name per category, in ``params.catIds`` order.
        out_png: output path.
        iou_thr: one of the evaluated IoU thresholds.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    hits = np.flatnonzero(np.isclose(coco_eval.params.iouThrs, iou_thr))
    if hits.size == 0:
        raise ValueError(f'IoU {iou_thr} was not evaluated (thresholds: '
                         f'{list(coco_eval.params.iouThrs)}).')
    precision = np.asarray(coco_eval.eval['precision'])[hits[0], :, :, 0, -1]  # (R, K)
    recall = np.asarray(coco_eval.params.recThrs)  # (R,)
    fig = Figure(figsize=(7, 6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    valid = [k for k in range(precision.shape[1]) if (precision[:, k] > -1).all()]
    for k in valid:
        ax.plot(recall, precision[:, k], linewidth=1,
                label=f'{class_names[k]} {precision[:, k].mean():.3f}')
    if valid:
        mean_precision = precision[:, valid].mean(1)
        ax.plot(recall, mean_precision, color='black', linewidth=3,
                label=f'all classes {mean_precision.mean():.3f} mAP@{iou_thr:.2f}')
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel('recall')
    ax.set_ylabel('precision (interpolated)')
    ax.set_title(f'precision-recall at IoU {iou_thr:.2f}')
    handles, labels = ax.get_legend_handles_labels()
    if len(labels) > 21:  # too many classes to list: keep only the mean
        handles, labels = handles[-1:], labels[-1:]
    if labels:
        ax.legend(handles, labels, fontsize=7, loc='lower left')
    fig.tight_layout()
    fig.savefig(out_png, dpi=150)
