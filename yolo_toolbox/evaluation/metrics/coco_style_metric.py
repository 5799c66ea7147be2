"""COCO-style bbox mAP from the model's predictions and the data samples' GT boxes."""
from __future__ import annotations

import logging
import os.path as osp
from typing import Any, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.fileio import dump
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from yolo_toolbox.registry import METRICS

from ..functional.coco_eval import (
    SUMMARY_KEYS,
    evaluate_coco,
    get_coco_api,
    per_class_ap,
    summary_ap,
)
from ..functional.confusion_matrix import confusion_matrix, plot_confusion_matrix
from ..functional.det_results import results_to_coco, sample_to_result
from ..functional.pr_curve import plot_pr_curves

UNDEFINED = -1.0  # COCO's value for an AP with no ground truth to measure it on


@METRICS.register_module()
class CocoStyleMetric(BaseMetric):
    """COCO bbox mAP (101-point interpolated precision) without an annotation file.

    Ground truth comes from each data sample's ``gt_instances`` (so VOC-layout data works),
    predictions from its ``pred_instances``; both xyxy in ORIGINAL-image pixels (the test
    pipeline must load annotations after resizing, as MMDetection's does). The AP math is
    COCOeval's (faster-coco-eval or pycocotools), run on in-memory COCO dicts.

    Ignored GT (``ignored_instances``, VOC "difficult") is ignored the way COCOeval ignores
    an out-of-area-range box: a detection matching it (plain IoU) is neither TP nor FP, and
    leaving it undetected costs nothing. Like any COCO-ignored box it absorbs at most one
    detection per IoU threshold (VOC's devkit lets it absorb duplicates too).

    Undefined values follow COCO: an AP with no GT to measure it on (``mAP_s`` on a dataset
    without small objects, a class without GT, everything on a dataset without GT) is
    -1.0, never NaN. Classes without GT do not enter the mean.

    Args:
        backend: 'faster_coco_eval' (C++, fast) or 'pycocotools'; same numbers.
        classwise: also log a per-class table and return ``AP50_<class>`` and
            ``AP50_95_<class>`` (whitespace in class names becomes '_').
        max_dets: detections per image kept, highest scores first (COCO maxDets
            ``[1, 10, max_dets]``); 100 is COCO's, 300 is common for YOLO.
        iou_thrs: IoU thresholds for ``mAP_50_95`` (their mean); ``None`` = 0.50:0.05:0.95.
            ``mAP_50`` / ``mAP_75`` are -1 when 0.5 / 0.75 are not among them.
        outfile_prefix: if set, write ``<prefix>.bbox.json`` (detections, COCO results
            format) and ``<prefix>.gt.json`` (the GT as a COCO dataset; ``file_name`` holds
            the dataset's ``img_id``; ignored boxes have ``ignore=1, area=-1``).
        confusion_matrix_png: if set, save the confusion matrix plot there.
        confusion_matrix_iou_thr: IoU for pairing a detection with a GT in that matrix.
        confusion_matrix_score_thr: detections below this score are left out of the matrix.
        pr_curve_png: if set, save per-class precision-recall curves at IoU 0.5 there.
        collect_device: 'cpu' or 'gpu', for gathering results across ranks.
        prefix: metric-name prefix; default ``'det'``.
        collect_dir: shared folder for cpu collection (mmengine's option).

    Returned keys (with the prefix, e.g. ``det/mAP_50``): ``mAP_50_95``, ``mAP_50``,
    ``mAP_75``, ``mAP_s``, ``mAP_m``, ``mAP_l`` (floats in [0, 1], or -1 if undefined)
    and, with ``classwise``, ``AP50_<class>`` and ``AP50_95_<class>`` per class.
    """

    default_prefix: str | None = 'det'

    def __init__(self,
                 backend: str = 'faster_coco_eval',
                 classwise: bool = False,
                 max_dets: int = 100,
                 iou_thrs: Sequence[float] | None = None,
                 outfile_prefix: str | None = None,
                 confusion_matrix_png: str | None = None,
                 confusion_matrix_iou_thr: float = 0.5,
                 confusion_matrix_score_thr: float = 0.3,
                 pr_curve_png: str | None = None,
                 collect_device: str = 'cpu',
                 prefix: str | None = None,
                 collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        get_coco_api(backend)  # fail at build time, with the fix, if it is not installed
        if max_dets < 10:
            raise ValueError(f'max_dets must be >= 10, got {max_dets}.')
        if iou_thrs is not None and not all(0 < thr <= 1 for thr in iou_thrs):
            raise ValueError(f'iou_thrs must lie in (0, 1], got {iou_thrs}.')
        self.backend = backend
        self.classwise = classwise
        self.max_dets = int(max_dets)
        self.iou_thrs = None if iou_thrs is None else [float(thr) for thr in iou_thrs]
        self.outfile_prefix = outfile_prefix
        self.confusion_matrix_png = confusion_matrix_png
        self.confusion_matrix_iou_thr = confusion_matrix_iou_thr
        self.confusion_matrix_score_thr = confusion_matrix_score_thr
        self.pr_curve_png = pr_curve_png

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store one plain-numpy result per image (see ``functional.det_results``).

        Args:
            data_batch: the loader's batch (unused).
            data_samples: :class:`DetDataSample` objects or their ``to_dict()`` forms, with
                ``img_id``, ``ori_shape``, ``gt_instances``, ``ignored_instances`` (optional)
                and ``pred_instances``; boxes xyxy in original-image pixels.
        """
        for data_sample in data_samples:
            self.results.append(sample_to_result(data_sample))

    # ------------------------------------------------------------------ helpers
    def _class_names(self, results: Sequence[dict]) -> list[str]:
        """Names from ``dataset_meta['classes']``, or ``class_<i>`` for the labels seen."""
        max_label = max((int(r[key].max()) for r in results
                         for key in ('gt_labels', 'ignored_labels', 'pred_labels')
                         if r[key].size), default=-1)
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            _warn('CocoStyleMetric has no dataset_meta["classes"] (the Runner sets it from the '
                  "dataset's metainfo); naming classes class_0, class_1, ...")
            return [f'class_{i}' for i in range(max_label + 1)]
        if max_label >= len(classes):
            raise ValueError(
                f'Label {max_label} seen, but dataset_meta["classes"] has only {len(classes)} '
                "names. Set the dataset's metainfo=dict(classes=...) to the model's classes "
                '(and num_classes in the head to match).')
        return [str(name) for name in classes]

    @staticmethod
    def _check_boxes_inside_images(results: Sequence[dict]) -> None:
        """Warn when GT boxes exceed ``ori_shape``: a sign of network-input coordinates."""
        tolerance_px = 2.0
        outside = 0
        for result in results:
            if result['ori_shape'] is None or not result['gt_bboxes'].size:
                continue
            height, width = result['ori_shape']
            boxes = result['gt_bboxes']
            outside += int(((boxes[:, 2] > width + tolerance_px)
                            | (boxes[:, 3] > height + tolerance_px)).sum())
        if outside:
            _warn(f'{outside} GT boxes extend past their image (ori_shape). The metric needs '
                  'GT in ORIGINAL-image pixels: in the test pipeline, load annotations after '
                  'the resize / letterbox.')

    def _dump(self, gt_dataset: dict, detections: list[dict]) -> None:
        """Write ``<prefix>.bbox.json`` and ``<prefix>.gt.json``."""
        mkdir_or_exist(osp.dirname(osp.abspath(self.outfile_prefix)))
        keys = ('image_id', 'category_id', 'bbox', 'score')
        dump([{key: det[key] for key in keys} for det in detections],
             f'{self.outfile_prefix}.bbox.json')
        dump(gt_dataset, f'{self.outfile_prefix}.gt.json')
        print_log(f'Detections and GT written to {self.outfile_prefix}.{{bbox,gt}}.json',
                  logger='current')

    def _classwise_table(self, class_names: list[str], results: Sequence[dict],
                         ap50: np.ndarray, ap50_95: np.ndarray) -> str:
        """Plain-text table: class, #GT, #detections, AP@0.5, AP@[.50:.95]."""
        num_gts = np.bincount(np.concatenate([r['gt_labels'] for r in results]),
                              minlength=len(class_names))
        num_dets = np.bincount(np.concatenate([r['pred_labels'] for r in results]),
                               minlength=len(class_names))
        width = max([len('class')] + [len(name) for name in class_names])
        rows = [f'{"class":<{width}}  {"gts":>6}  {"dets":>7}  {"AP50":>6}  {"AP50:95":>7}']
        for k, name in enumerate(class_names):
            rows.append(f'{name:<{width}}  {num_gts[k]:>6}  {num_dets[k]:>7}  '
                        f'{ap50[k]:>6.3f}  {ap50_95[k]:>7.3f}')
        return '\n'.join(rows)

    # ------------------------------------------------------------------ metric
    def compute_metrics(self, results: list) -> dict[str, float]:
        """COCOeval over all collected results.

        Args:
            results: the result dicts of every image, gathered from all ranks.

        Returns:
            ``mAP_50_95, mAP_50, mAP_75, mAP_s, mAP_m, mAP_l`` (+ per-class keys with
            ``classwise``), floats in [0, 1] or -1 when undefined.
        """
        if not results:
            _warn('CocoStyleMetric received no results; every metric is -1.')
            return {key: UNDEFINED for key in SUMMARY_KEYS}
        results = _first_per_image(results)
        class_names = self._class_names(results)
        gt_dataset, detections, img_ids = results_to_coco(results, class_names)
        self._check_boxes_inside_images(results)
        if not any(r['gt_labels'].size for r in results):
            _warn('No ground-truth boxes in the evaluated data: every AP is undefined (-1).')
        if self.outfile_prefix:
            self._dump(gt_dataset, detections)

        coco_eval, summary = evaluate_coco(gt_dataset, detections, self.backend,
                                           self.max_dets, self.iou_thrs)
        if self.backend == 'pycocotools' and self.max_dets != 100:
            summary += ('(pycocotools computes the first line at maxDets=100 only; the '
                        f'returned mAP_50_95 uses maxDets={self.max_dets})\n')
        print_log(f'COCO bbox evaluation ({self.backend}, {len(img_ids)} images, '
                  f'{len(detections)} detections):\n{summary}', logger='current')
        metrics = summary_ap(coco_eval)

        if self.classwise:
            ap50, ap50_95 = per_class_ap(coco_eval, 0.5), per_class_ap(coco_eval, None)
            print_log('Per-class AP (-1: no GT for the class):\n'
                      + self._classwise_table(class_names, results, ap50, ap50_95),
                      logger='current')
            for name, ap50_k, ap50_95_k in zip(class_names, ap50, ap50_95):
                key = '_'.join(name.split())
                metrics[f'AP50_{key}'] = float(ap50_k)
                metrics[f'AP50_95_{key}'] = float(ap50_95_k)
        self._plot(results, class_names, coco_eval)
        return metrics

    def _plot(self, results: Sequence[dict], class_names: list[str], coco_eval: Any) -> None:
        """Write the confusion-matrix and PR-curve PNGs that were asked for."""
        if self.confusion_matrix_png:
            mkdir_or_exist(osp.dirname(osp.abspath(self.confusion_matrix_png)))
            matrix = confusion_matrix(results, len(class_names), self.confusion_matrix_iou_thr,
                                      self.confusion_matrix_score_thr)
            plot_confusion_matrix(matrix, class_names, self.confusion_matrix_png)
        if self.pr_curve_png and not np.isclose(coco_eval.params.iouThrs, 0.5).any():
            _warn('pr_curve_png needs IoU 0.5 among iou_thrs; no PR curves drawn.')
        elif self.pr_curve_png:
            mkdir_or_exist(osp.dirname(osp.abspath(self.pr_curve_png)))
            plot_pr_curves(coco_eval, class_names, self.pr_curve_png)


def _warn(message: str) -> None:
    print_log(message, logger='current', level=logging.WARNING)


def _first_per_image(results: Sequence[dict]) -> list[dict]:
    """Keep the first result of each ``img_id`` (warn about repeats)."""
    unique: dict = {}
    for result in results:
        unique.setdefault(result['img_id'], result)
    if len(unique) < len(results):
        _warn(f'{len(results) - len(unique)} results repeat an img_id already seen; only the '
              'first result of each image is evaluated.')
    return list(unique.values())
