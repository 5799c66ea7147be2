"""Detection confusion matrix with a background class, and its plot."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from yolo_toolbox.structures import broadcast_box_iou


def _pairwise_iou(boxes1_xyxy: np.ndarray, boxes2_xyxy: np.ndarray) -> np.ndarray:
    """(n, 4) x (m, 4) xyxy pixels -> (n, m) IoU."""
    if len(boxes1_xyxy) == 0 or len(boxes2_xyxy) == 0:
        return np.zeros((len(boxes1_xyxy), len(boxes2_xyxy)))
    ious = broadcast_box_iou(torch.from_numpy(boxes1_xyxy)[:, None],
                             torch.from_numpy(boxes2_xyxy)[None])
    return ious.numpy()


def _greedy_match(ious: np.ndarray, iou_thr: float) -> list[tuple[int, int]]:
    """One-to-one (gt, pred) pairs with IoU >= iou_thr, highest IoU first."""
    gt_idx, pred_idx = np.nonzero(ious >= iou_thr)
    order = np.argsort(-ious[gt_idx, pred_idx], kind='stable')
    pairs, used_gt, used_pred = [], set(), set()
    for g, p in zip(gt_idx[order].tolist(), pred_idx[order].tolist()):
        if g not in used_gt and p not in used_pred:
            pairs.append((g, p))
            used_gt.add(g)
            used_pred.add(p)
    return pairs


def confusion_matrix(results: Sequence[dict], num_classes: int, iou_thr: float = 0.5,
                     score_thr: float = 0.3) -> np.ndarray:
    """Count (true class, predicted class) pairs over a dataset.

    Per image, detections with ``score >= score_thr`` are matched one-to-one to GT boxes
    regardless of class, highest IoU first, pairs needing ``IoU >= iou_thr``. A matched
    pair adds 1 at ``[gt_label, pred_label]``; an unmatched GT adds 1 at
    ``[gt_label, num_classes]`` (missed: predicted background); an unmatched detection adds
    1 at ``[num_classes, pred_label]`` (background detected as a class), unless it
    overlaps an ignored (difficult) box with ``IoU >= iou_thr``, then it is not counted.

    Args:
        results: result dicts of :func:`~.det_results.sample_to_result` (xyxy pixels).
        num_classes: K.
        iou_thr: IoU needed to pair a detection with a GT box.
        score_thr: detections scoring below are dropped.

    Returns:
        (K + 1, K + 1) int64; rows = true class, columns = predicted class, index K =
        background. Each row sums to that class's GT count (last row: unmatched dets).
    """
    matrix = np.zeros((num_classes + 1, num_classes + 1), dtype=np.int64)
    background = num_classes
    for result in results:
        keep = result['pred_scores'] >= score_thr
        pred_bboxes, pred_labels = result['pred_bboxes'][keep], result['pred_labels'][keep]
        gt_labels = result['gt_labels']
        pairs = _greedy_match(_pairwise_iou(result['gt_bboxes'], pred_bboxes), iou_thr)
        for g, p in pairs:
            matrix[gt_labels[g], pred_labels[p]] += 1
        matched_gt = np.zeros(len(gt_labels), dtype=bool)
        matched_pred = np.zeros(len(pred_labels), dtype=bool)
        for g, p in pairs:
            matched_gt[g], matched_pred[p] = True, True
        np.add.at(matrix, (gt_labels[~matched_gt], background), 1)
        on_ignored = (_pairwise_iou(pred_bboxes, result['ignored_bboxes']) >= iou_thr).any(1)
        np.add.at(matrix, (background, pred_labels[~matched_pred & ~on_ignored]), 1)
    return matrix


def plot_confusion_matrix(matrix: np.ndarray, class_names: Sequence[str], out_png: str,
                          normalize: bool = True, cmap: str = 'Blues') -> None:
    """Draw a confusion matrix as a heat map and save it as a PNG (matplotlib, Agg canvas).

    Args:
        matrix: (K + 1, K + 1) counts from :func:`confusion_matrix`.
        class_names: K names; 'background' is appended.
        out_png: output path.
        normalize: colour by the fraction of each row (true class); cells show counts.
        cmap: matplotlib colour map name.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(class_names) + ['background']
    row_sums = matrix.sum(1, keepdims=True)
    colours = matrix / np.maximum(row_sums, 1) if normalize else matrix
    size = max(5.0, 0.5 * len(names) + 2)
    fig = Figure(figsize=(size, size))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(colours, cmap=cmap, vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(len(names)), names, rotation=90)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    ax.set_title('confusion matrix' + ('\n(colour: fraction of the row)' if normalize else ''),
                 fontsize=10)
    if len(names) <= 30:
        for (row, col), count in np.ndenumerate(matrix):
            red, green, blue, _ = image.cmap(image.norm(colours[row, col]))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5  # any colour map
            ax.text(col, row, str(count), ha='center', va='center', fontsize=7,
                    color='white' if dark else 'black')
    fig.tight_layout()
    fig.savefig(out_png, dpi=150)
