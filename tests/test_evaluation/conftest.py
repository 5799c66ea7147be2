"""Fixtures for the evaluation tests: data samples, and metrics built from config dicts.

Helpers are handed out as fixtures (not imported) so that no test depends on which
``conftest`` module Python last imported.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import yolo_toolbox.evaluation  # noqa: F401  (registers the metrics)
from yolo_toolbox.registry import METRICS
from yolo_toolbox.structures import DetDataSample

CLASSES = ('cat', 'dog', 'traffic light')


def _make_sample(img_id, gt_bboxes=(), gt_labels=(), pred_bboxes=(), pred_scores=(),
                pred_labels=(), ignored_bboxes=(), ignored_labels=None,
                ori_shape=(480, 640)) -> DetDataSample:
    """A DetDataSample with tensor fields; boxes xyxy in original-image pixels."""
    def boxes(values):
        return torch.as_tensor(np.asarray(values, dtype=np.float32).reshape(-1, 4))

    def labels(values):
        return torch.as_tensor(np.asarray(values, dtype=np.int64).reshape(-1))

    if ignored_labels is None:
        ignored_labels = [0] * len(ignored_bboxes)
    sample = DetDataSample(metainfo=dict(img_id=img_id, ori_shape=ori_shape))
    sample.gt_instances = InstanceData(bboxes=boxes(gt_bboxes), labels=labels(gt_labels))
    sample.ignored_instances = InstanceData(bboxes=boxes(ignored_bboxes),
                                            labels=labels(ignored_labels))
    sample.pred_instances = InstanceData(
        bboxes=boxes(pred_bboxes), labels=labels(pred_labels),
        scores=torch.as_tensor(np.asarray(pred_scores, dtype=np.float32).reshape(-1)))
    return sample


def _build_metric(classes=CLASSES, **cfg):
    """Build CocoStyleMetric from a config dict, as the Runner does."""
    init_default_scope('yolo_toolbox')
    metric = METRICS.build(dict(type='CocoStyleMetric', **cfg))
    if classes is not None:
        metric.dataset_meta = dict(classes=classes)
    return metric


def _evaluate(metric, samples, as_dicts=True) -> dict:
    """Feed samples in batches of 4 the way mmengine's Evaluator does; return the metrics."""
    for start in range(0, len(samples), 4):
        batch = samples[start:start + 4]
        metric.process({}, [s.to_dict() if as_dicts else s for s in batch])
    return metric.evaluate(len(samples))


def _random_boxes(rng, n, width, height) -> np.ndarray:
    """(n, 4) xyxy boxes at least 8 px wide and high, inside a width x height image."""
    xy = rng.uniform(0, [width * 0.8, height * 0.8], size=(n, 2))
    wh = rng.uniform(8, [width * 0.5, height * 0.5], size=(n, 2))
    return np.concatenate([xy, np.minimum(xy + wh, [width, height])], 1)


def _jitter(rng, boxes, scale) -> np.ndarray:
    """Move each box corner by N(0, scale) times the box's width / height."""
    size = np.tile(boxes[:, 2:] - boxes[:, :2], 2)
    return boxes + rng.normal(0, scale, boxes.shape) * size


@pytest.fixture
def make_sample():
    """``make_sample(img_id, gt_bboxes, gt_labels, pred_bboxes, pred_scores, pred_labels,
    ignored_bboxes, ignored_labels, ori_shape)`` -> DetDataSample."""
    return _make_sample


@pytest.fixture
def build_metric():
    """``build_metric(classes=('cat', 'dog', 'traffic light'), **cfg)`` -> CocoStyleMetric."""
    return _build_metric


@pytest.fixture
def evaluate():
    """``evaluate(metric, samples, as_dicts=True)`` -> metrics dict."""
    return _evaluate


@pytest.fixture
def random_samples() -> list:
    return make_random_samples(seed=0)


def make_random_samples(seed: int = 0) -> list:
    """Seeded random GT and detections: 20 images, 3 classes, difficult boxes, an image with
    no GT (index 0) and an image with no detections (index 1). Boxes are float pixels."""
    rng = np.random.default_rng(seed)
    samples = []
    for index in range(20):
        height, width = int(rng.integers(200, 600)), int(rng.integers(200, 600))
        gt = _random_boxes(rng, 0 if index == 0 else int(rng.integers(1, 6)), width, height)
        gt_labels = rng.integers(0, 3, len(gt))
        ignored = _random_boxes(rng, int(rng.integers(0, 3)), width, height)
        ignored_labels = rng.integers(0, 3, len(ignored))
        found = rng.random(len(gt)) < 0.8
        # found GT (a few with the wrong class), difficult boxes (one twice), false positives
        preds = np.concatenate([
            _jitter(rng, gt[found], 0.08), _jitter(rng, ignored, 0.05),
            _jitter(rng, ignored[:1], 0.1),
            _random_boxes(rng, int(rng.integers(0, 4)), width, height)])
        pred_labels = np.concatenate([
            np.where(rng.random(found.sum()) < 0.85, gt_labels[found], rng.integers(0, 3)),
            ignored_labels, ignored_labels[:1], rng.integers(0, 3, len(preds))])[:len(preds)]
        if index == 1:
            preds, pred_labels = preds[:0], pred_labels[:0]
        samples.append(_make_sample(
            f'img_{index:03d}', gt, gt_labels, preds, rng.uniform(0.05, 1, len(preds)),
            pred_labels, ignored, ignored_labels, ori_shape=(height, width)))
    return samples
