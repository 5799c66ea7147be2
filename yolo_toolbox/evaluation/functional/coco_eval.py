"""Run COCOeval (faster-coco-eval or pycocotools) on in-memory COCO dicts.

The AP arithmetic (matching, 101-point interpolated precision, averaging) is the
library's; this module only chooses the backend, feeds it and reads the arrays back.
"""
from __future__ import annotations

import contextlib
import copy
import io
from typing import Any, Sequence

import numpy as np

BACKENDS = ('faster_coco_eval', 'pycocotools')
# The AP part of COCOeval's summary, in its order.
SUMMARY_KEYS = ('mAP_50_95', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')


def get_coco_api(backend: str) -> tuple[type, type]:
    """``(COCO, COCOeval)`` classes of ``backend`` ('faster_coco_eval' | 'pycocotools')."""
    if backend not in BACKENDS:
        raise ValueError(f'Unknown COCO backend {backend!r}; choose one of {BACKENDS}.')
    try:
        if backend == 'faster_coco_eval':
            from faster_coco_eval import COCO, COCOeval_faster
            return COCO, COCOeval_faster
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        return COCO, COCOeval
    except ImportError as error:
        other = BACKENDS[1 - BACKENDS.index(backend)]
        raise ImportError(f'backend={backend!r} needs `pip install {backend.replace("_", "-")}`'
                          f' (or set backend={other!r} in the metric config).') from error


def _coco_from_dict(coco_cls: type, dataset: dict) -> Any:
    """A COCO api object indexed from an in-memory dataset dict (no file, no loadRes)."""
    coco = coco_cls()
    coco.dataset = dataset
    coco.createIndex()
    return coco


def evaluate_coco(gt_dataset: dict, detections: list[dict], backend: str = 'faster_coco_eval',
                  max_dets: int = 100,
                  iou_thrs: Sequence[float] | None = None) -> tuple[Any, str]:
    """COCO bbox evaluation: evaluate, accumulate, summarize.

    Args:
        gt_dataset: COCO gt dict (images, annotations, categories), xywh pixel boxes.
        detections: COCO detections with ``id``, ``image_id``, ``category_id``, ``bbox``
            (xywh pixels), ``score``, ``area``, ``iscrowd``; may be empty.
        backend: 'faster_coco_eval' or 'pycocotools'.
        max_dets: detections per image kept (highest scores); COCO's maxDets become
            ``[1, 10, max_dets]``.
        iou_thrs: IoU thresholds; ``None`` = COCO's 0.50:0.05:0.95.

    Returns:
        ``(coco_eval, summary)``: the evaluated COCOeval object (``coco_eval.eval
        ['precision']`` is the (T, R, K, A, M) precision array; read the AP numbers with
        :func:`summary_ap`, not from ``coco_eval.stats``) and the library's summary text.
    """
    if max_dets < 10:
        raise ValueError(f'max_dets must be >= 10 (COCO maxDets are [1, 10, max_dets]), '
                         f'got {max_dets}.')
    coco_cls, coco_eval_cls = get_coco_api(backend)
    gt_dataset = copy.deepcopy(gt_dataset)  # COCOeval writes flags into the annotations
    dt_dataset = dict(images=gt_dataset['images'], categories=gt_dataset['categories'],
                      annotations=copy.deepcopy(detections))
    # both libraries chatter on stdout ("creating index...", "DONE (t=0.01s)"): keep it
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = _coco_from_dict(coco_cls, gt_dataset)
        coco_dt = _coco_from_dict(coco_cls, dt_dataset)
        extra = dict(print_function=print) if backend == 'faster_coco_eval' else {}
        coco_eval = coco_eval_cls(coco_gt, coco_dt, 'bbox', **extra)
        coco_eval.params.maxDets = [1, 10, int(max_dets)]
        if iou_thrs is not None:
            coco_eval.params.iouThrs = np.asarray(iou_thrs, dtype=np.float64)
        coco_eval.evaluate()
        coco_eval.accumulate()
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        coco_eval.summarize()
    return coco_eval, summary.getvalue()


def _mean_valid(precision: np.ndarray) -> float:
    """Mean of the entries > -1 (COCO's "undefined"); -1.0 when there are none."""
    valid = precision[precision > -1]
    return float(valid.mean()) if valid.size else -1.0


def summary_ap(coco_eval: Any) -> dict[str, float]:
    """The six COCO AP numbers (``SUMMARY_KEYS``) at the last (largest) maxDets.

    Read from ``eval['precision']`` with COCOeval's own rule (mean over the entries > -1,
    -1 when none), because pycocotools' ``summarize`` hard-codes maxDets=100 for AP@[.5:.95]
    and so reports -1 for it whenever 100 is not among maxDets (e.g. max_dets=300).
    """
    precision = np.asarray(coco_eval.eval['precision'])[..., -1]  # (T, R, K, A)
    iou_thrs = np.asarray(coco_eval.params.iouThrs)
    area = {label: i for i, label in enumerate(coco_eval.params.areaRngLbl)}
    return dict(
        mAP_50_95=_mean_valid(precision[..., area['all']]),
        mAP_50=_mean_valid(precision[np.isclose(iou_thrs, 0.5)][..., area['all']]),
        mAP_75=_mean_valid(precision[np.isclose(iou_thrs, 0.75)][..., area['all']]),
        mAP_s=_mean_valid(precision[..., area['small']]),
        mAP_m=_mean_valid(precision[..., area['medium']]),
        mAP_l=_mean_valid(precision[..., area['large']]))


def per_class_ap(coco_eval: Any, iou_thr: float | None = 0.5) -> np.ndarray:
    """AP of every category at area 'all' and the last maxDets, -1 for "no GT".

    Args:
        coco_eval: an evaluated, accumulated COCOeval.
        iou_thr: one IoU threshold (must be among the evaluated ones, else all -1), or
            ``None`` for the mean over all evaluated thresholds (AP@[.50:.95]).

    Returns:
        (K,) float64, in the order of ``coco_eval.params.catIds``.
    """
    precision = np.asarray(coco_eval.eval['precision'])  # (T, R, K, A, M)
    if iou_thr is not None:
        hits = np.flatnonzero(np.isclose(coco_eval.params.iouThrs, iou_thr))
        precision = precision[hits]
    area_all, last_max_dets = 0, -1
    return np.array([_mean_valid(precision[:, :, k, area_all, last_max_dets])
                     for k in range(precision.shape[2])], dtype=np.float64)
