"""Per-image detection results as plain numpy, and their conversion to COCO dicts.

A *result* is the metric's unit of storage (one per image), deliberately made of numpy
arrays and Python scalars only, so that mmengine can pickle it across ranks::

    dict(img_id=int | str,                      # the dataset's id, unchanged
         ori_shape=(h, w) | None,               # original image size in pixels
         gt_bboxes=(n, 4) float64,              # xyxy, original-image pixels
         gt_labels=(n,) int64,                  # 0-based class index
         ignored_bboxes=(k, 4) float64,         # VOC "difficult" boxes, xyxy pixels
         ignored_labels=(k,) int64,
         pred_bboxes=(m, 4) float64,            # xyxy, original-image pixels
         pred_scores=(m,) float64,
         pred_labels=(m,) int64)
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from mmengine.structures import BaseDataElement

# Any area outside every COCOeval area range (all: [0, 1e10]) makes COCOeval set the box's
# `_ignore` flag. This is how an ignored (VOC difficult) box is expressed: pycocotools and
# faster-coco-eval both OVERWRITE a dataset-provided `ignore` key with `iscrowd`, and
# `iscrowd=1` would switch matching to intersection-over-detection-area (see the tests).
IGNORED_BOX_AREA = -1.0


def _to_numpy(value: Any, dtype: type, width: int | None = None) -> np.ndarray:
    """Tensor / array / list / None -> numpy array on the CPU, reshaped to (-1, width)."""
    if value is None:
        value = []
    value = getattr(value, 'tensor', value)  # box-type wrappers (e.g. HorizontalBoxes)
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=dtype)
    return array.reshape(-1, width) if width else array.reshape(-1)


def _instances(sample: dict, key: str) -> dict:
    """The field ``key`` of a data-sample dict as a plain dict ({} when absent)."""
    instances = sample.get(key)
    if instances is None:
        return {}
    if isinstance(instances, BaseDataElement):
        instances = instances.to_dict()
    return instances


def _scalar(value: Any) -> Any:
    """Tensor / numpy scalar -> Python int or str (image ids, shape entries)."""
    if hasattr(value, 'item'):
        value = value.item()
    return str(value) if isinstance(value, (str, np.str_)) else int(value)


def sample_to_result(data_sample: BaseDataElement | dict) -> dict:
    """Turn one data sample into a result dict of numpy arrays (see the module docstring).

    Args:
        data_sample: a :class:`DetDataSample` or its ``to_dict()`` form, with metainfo
            ``img_id`` and ``ori_shape`` (h, w), ``gt_instances`` (``bboxes`` (n, 4) xyxy in
            ORIGINAL-image pixels, ``labels`` (n,)), optional ``ignored_instances`` (same
            layout) and ``pred_instances`` (``bboxes`` (m, 4) xyxy original pixels,
            ``scores`` (m,), ``labels`` (m,)). Tensors may live on any device.

    Returns:
        The result dict; absent instance fields become empty arrays.
    """
    sample = data_sample.to_dict() if isinstance(data_sample, BaseDataElement) else data_sample
    if sample.get('img_id') is None:
        raise KeyError('A data sample has no `img_id`; the dataset must put it in the metainfo '
                       '(PackDetInputs meta_keys) so that the metric can tell images apart.')
    ori_shape = sample.get('ori_shape')
    gt, ignored, pred = (_instances(sample, key) for key in
                         ('gt_instances', 'ignored_instances', 'pred_instances'))
    return dict(
        img_id=_scalar(sample['img_id']),
        ori_shape=None if ori_shape is None else tuple(_scalar(v) for v in ori_shape[:2]),
        gt_bboxes=_to_numpy(gt.get('bboxes'), np.float64, 4),
        gt_labels=_to_numpy(gt.get('labels'), np.int64),
        ignored_bboxes=_to_numpy(ignored.get('bboxes'), np.float64, 4),
        ignored_labels=_to_numpy(ignored.get('labels'), np.int64),
        pred_bboxes=_to_numpy(pred.get('bboxes'), np.float64, 4),
        pred_scores=_to_numpy(pred.get('scores'), np.float64),
        pred_labels=_to_numpy(pred.get('labels'), np.int64),
    )


def _xyxy_to_xywh(boxes_xyxy: np.ndarray) -> np.ndarray:
    """(n, 4) x1, y1, x2, y2 -> (n, 4) x, y, w, h (COCO's box format), pixels."""
    return np.concatenate([boxes_xyxy[:, :2], boxes_xyxy[:, 2:] - boxes_xyxy[:, :2]], axis=1)


def results_to_coco(results: Sequence[dict],
                    class_names: Sequence[str]) -> tuple[dict, list[dict], list[Any]]:
    """Build a COCO ground-truth dataset and a detection list, in memory.

    COCO ids: image ``i`` (order of first appearance) gets id ``i + 1``; class index ``c``
    gets category id ``c + 1``. Boxes become xywh with ``area = w * h``. Ignored boxes
    get ``area = IGNORED_BOX_AREA`` (ignored by COCOeval at every area range: a detection
    matching one is neither a TP nor an FP, and a missed one is not a miss).

    Args:
        results: result dicts from :func:`sample_to_result`, one per image (a repeated
            ``img_id`` is an error).
        class_names: one name per class index.

    Returns:
        ``(gt_dataset, detections, img_ids)``: the COCO gt dict (images, annotations,
        categories), the detection list (with ``id``, ``area``, ``iscrowd=0`` already
        set, as ``COCO.loadRes`` would), and the original ``img_id`` of each COCO image.
    """
    images, gt_anns, detections, img_ids = [], [], [], []
    for result in results:
        img_ids.append(result['img_id'])
        coco_img_id = len(images) + 1
        height, width = result['ori_shape'] or (0, 0)
        images.append(dict(id=coco_img_id, file_name=str(result['img_id']),
                           height=height, width=width))
        for key, ignored in (('gt', False), ('ignored', True)):
            boxes_xywh = _xyxy_to_xywh(result[f'{key}_bboxes'])
            for box, label in zip(boxes_xywh.tolist(), result[f'{key}_labels'].tolist()):
                gt_anns.append(dict(
                    id=len(gt_anns) + 1, image_id=coco_img_id, category_id=label + 1,
                    bbox=box, area=IGNORED_BOX_AREA if ignored else box[2] * box[3],
                    iscrowd=0, ignore=int(ignored)))  # `ignore` is informative only
        boxes_xywh = _xyxy_to_xywh(result['pred_bboxes'])
        for box, score, label in zip(boxes_xywh.tolist(), result['pred_scores'].tolist(),
                                     result['pred_labels'].tolist()):
            detections.append(dict(
                id=len(detections) + 1, image_id=coco_img_id, category_id=label + 1,
                bbox=box, score=score, area=box[2] * box[3], iscrowd=0))
    if len(set(img_ids)) < len(img_ids):
        raise ValueError('results_to_coco got several results for one img_id.')
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(class_names)]
    gt_dataset = dict(images=images, annotations=gt_anns, categories=categories)
    return gt_dataset, detections, img_ids
