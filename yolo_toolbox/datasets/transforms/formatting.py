"""PackDetInputs: the pipeline's last step, to the model's ``inputs`` / ``data_samples``."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from yolo_toolbox.registry import TRANSFORMS
from yolo_toolbox.structures import DetDataSample

DEFAULT_META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'pad_param')


def _instances(boxes: np.ndarray, labels: np.ndarray) -> InstanceData:
    instances = InstanceData()
    boxes = np.ascontiguousarray(boxes, dtype=np.float32).reshape(-1, 4)
    instances.bboxes = torch.from_numpy(boxes)
    instances.labels = torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64).reshape(-1))
    return instances


@TRANSFORMS.register_module()
class PackDetInputs(BaseTransform):
    """Pack the image and its boxes for the model.

    Reads: ``img`` (H, W, 3) uint8 BGR; ``gt_bboxes`` (n, 4) xyxy pixels,
    ``gt_bboxes_labels`` (n,), ``gt_ignore_flags`` (n,) if present; ``meta_keys``.
    Returns (a new dict): ``inputs`` torch.uint8 (3, H, W) BGR, contiguous, and
    ``data_samples`` a :class:`DetDataSample` with

    - ``gt_instances``: ``bboxes`` float32 (m, 4), ``labels`` int64 (m,) of the boxes
      that are not ignored;
    - ``ignored_instances``: the same for the ignored ones (always present, maybe empty);
    - metainfo from ``meta_keys``; a missing ``scale_factor`` is (1.0, 1.0), a missing
      ``pad_param`` is float32 zeros (4,); other missing keys are left out.

    Args:
        meta_keys: results keys copied into the data sample's metainfo.
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

        boxes = np.asarray(results.get('gt_bboxes', np.zeros((0, 4))), np.float32).reshape(-1, 4)
        labels = np.asarray(results.get('gt_bboxes_labels', np.zeros(len(boxes))), np.int64)
        ignored = np.asarray(results.get('gt_ignore_flags', np.zeros(len(boxes), bool)), bool)
        if not len(boxes) == len(labels) == len(ignored):
            raise ValueError(f'PackDetInputs: {len(boxes)} boxes, {len(labels)} labels and '
                             f'{len(ignored)} ignore flags for {results.get("img_path")}')
        sample = DetDataSample()
        sample.gt_instances = _instances(boxes[~ignored], labels[~ignored])
        sample.ignored_instances = _instances(boxes[ignored], labels[ignored])

        meta = {key: results[key] for key in self.meta_keys if key in results}
        if 'scale_factor' in self.meta_keys:
            meta.setdefault('scale_factor', (1.0, 1.0))
        if 'pad_param' in self.meta_keys:
            meta.setdefault('pad_param', np.zeros(4, dtype=np.float32))
        for key in ('ori_shape', 'img_shape'):
            if key in meta:
                meta[key] = tuple(int(v) for v in meta[key])
        sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'PackDetInputs(meta_keys={self.meta_keys})'
