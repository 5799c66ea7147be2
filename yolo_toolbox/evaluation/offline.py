"""Work on the predictions that ``tools/test.py --out preds.pkl`` saved, without the model.

The pickle is the list that mmengine's ``DumpResults`` writes: one dict per test image with
its metainfo (``img_path``, ``img_id``, ``ori_shape``, ...), ``gt_instances``,
``ignored_instances`` and ``pred_instances`` (boxes xyxy in original-image pixels).
Used by ``tools/analysis_tools/{eval_metric,analyze_results,confusion_matrix}.py``.
"""
from __future__ import annotations

import os.path as osp
import pickle
from typing import Sequence

import numpy as np
from mmengine.config import Config
from mmengine.evaluator import Evaluator

from .functional import evaluate_coco, results_to_coco, sample_to_result, summary_ap


def load_predictions(path: str) -> list[dict]:
    """The per-image dicts of a ``tools/test.py --out`` pickle.

    Raises:
        FileNotFoundError / ValueError: naming ``path``, when it is missing or is not a
            list of dicts with ``pred_instances``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist; write it with tools/test.py CONFIG '
                                f'CHECKPOINT --out {path}')
    with open(path, 'rb') as f:
        samples = pickle.load(f)
    if not isinstance(samples, list) or not all(
            isinstance(s, dict) and 'pred_instances' in s for s in samples):
        raise ValueError(f'{path}: not the predictions of tools/test.py --out (a list of '
                         'per-image dicts with pred_instances)')
    return samples


def test_dataset_meta(cfg: Config) -> dict:
    """``metainfo`` (classes, palette) of ``cfg.test_dataloader.dataset``, without loading
    its annotations (``lazy_init``)."""
    from yolo_toolbox.registry import DATASETS
    dataset_cfg = dict(cfg.test_dataloader.dataset, lazy_init=True)
    return dict(DATASETS.build(dataset_cfg).metainfo)


def evaluate_predictions(samples: Sequence[dict], cfg: Config) -> dict:
    """The config's ``test_evaluator`` on saved predictions: the metrics ``tools/test.py``
    printed for them."""
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = test_dataset_meta(cfg)
    return evaluator.offline_evaluate(list(samples), chunk_size=64)


def per_image_ap(samples: Sequence[dict], class_names: Sequence[str],
                 backend: str = 'faster_coco_eval') -> list[float]:
    """mAP@0.5 of each image on its own (COCO-style, all its predictions, over the classes
    of its GT).

    An image without GT boxes scores ``1 - the best prediction score`` (1.0 without any
    prediction): a confident false positive ranks it low.
    """
    scores = []
    for sample in samples:
        result = sample_to_result(sample)
        if not result['gt_labels'].size:
            scores.append(1.0 - float(result['pred_scores'].max(initial=0.0)))
            continue
        gt_dataset, detections, _ = results_to_coco([result], class_names)
        coco_eval, _ = evaluate_coco(gt_dataset, detections, backend, iou_thrs=[0.5])
        scores.append(max(summary_ap(coco_eval)['mAP_50'], 0.0))
    return scores


def rank_images(scores: Sequence[float], topk: int) -> tuple[list[int], list[int]]:
    """Indices of the ``topk`` best and ``topk`` worst scores (ties: dataset order)."""
    order = np.argsort(-np.asarray(scores, dtype=float), kind='stable').tolist()
    worst = np.argsort(np.asarray(scores, dtype=float), kind='stable').tolist()
    return order[:topk], worst[:topk]
