"""Mosaic: four images around the centre of a 2W x 2H canvas (the original system's layout)."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from yolo_toolbox.registry import TRANSFORMS

from .letterbox import Letterbox, resize_keep_ratio


@TRANSFORMS.register_module()
class Mosaic(BaseTransform):
    """Four-image mosaic, or a centred letterbox when the coin says no.

    With probability ``prob``: this image and 3 others drawn at random from
    ``results['dataset']`` (each loaded by ``pre_transform``) are resized keeping their
    ratio to fit (W, H) and placed in the quadrants of a (2H, 2W) canvas so that they
    touch its centre: top-left, top-right, bottom-left, bottom-right, in that order.
    Otherwise the image is letterboxed to (W, H) (resized to fit, padded centred), as
    the original does. Boxes follow; ignore flags are kept. Random draws use numpy's
    global RNG (seeded per worker by mmengine).

    Reads: ``img``, ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_ignore_flags``, ``dataset``
    (put there by ``BaseDetDataset.prepare_data`` when ``test_mode=False``).
    Writes: ``img`` (2H, 2W, 3) or (H, W, 3), ``img_shape``, the three GT arrays;
    removes ``dataset``.

    Args:
        img_scale: (W, H) of one quadrant (the network input size).
        prob: probability of a mosaic.
        pre_transform: transform configs that load another image of the dataset,
            normally ``[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]``.
        pad_val: canvas fill value.
    """

    def __init__(self, img_scale: Sequence[int] = (640, 640), prob: float = 1.0,
                 pre_transform: Optional[Sequence[dict]] = None, pad_val=0) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'Mosaic: prob must be in [0, 1], got {prob}')
        if len(img_scale) != 2 or min(img_scale) <= 0:
            raise ValueError(f'Mosaic: img_scale must be (W, H) > 0, got {img_scale}')
        self.img_scale = (int(img_scale[0]), int(img_scale[1]))
        self.prob = prob
        self.pad_val = pad_val
        if pre_transform is None:
            pre_transform = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
        self.pre_transform = [TRANSFORMS.build(t) if isinstance(t, dict) else t
                              for t in pre_transform]
        self._letterbox = Letterbox(self.img_scale, pad_val=pad_val)

    def transform(self, results: dict) -> dict:
        dataset = results.pop('dataset', None)
        if np.random.rand() >= self.prob:
            results = self._letterbox(results)
            for key in ('scale_factor', 'pad_param'):  # training geometry, not for rescaling
                results.pop(key, None)
            return results
        if dataset is None:
            raise KeyError('Mosaic needs results["dataset"] to load 3 more images; it is set '
                           'by the dataset (BaseDetDataset.prepare_data) when test_mode=False. '
                           'Use Mosaic in training pipelines only.')
        others = [self._load(dataset, int(i))
                  for i in np.random.randint(0, len(dataset), size=3)]
        img, boxes, labels, flags = self._make_mosaic([results] + others)
        results.update(img=img, img_shape=img.shape[:2], gt_bboxes=boxes,
                       gt_bboxes_labels=labels, gt_ignore_flags=flags)
        return results

    def _load(self, dataset, idx: int) -> dict:
        results = dataset.get_data_info(idx)
        for t in self.pre_transform:
            results = t(results)
            if results is None:
                raise RuntimeError(f'Mosaic: pre_transform {t!r} returned None for image '
                                   f'{idx} of the dataset')
        return results

    def _make_mosaic(self, parts: List[dict]) -> Tuple[np.ndarray, ...]:
        width, height = self.img_scale
        first = parts[0]['img']
        canvas = np.full((2 * height, 2 * width) + first.shape[2:], self.pad_val,
                         dtype=first.dtype)
        all_boxes, all_labels, all_flags = [], [], []
        for k, part in enumerate(parts):
            img, scale_w, scale_h = resize_keep_ratio(part['img'], self.img_scale)
            h, w = img.shape[:2]
            # k = 0, 1, 2, 3: top-left, top-right, bottom-left, bottom-right of the centre
            x0 = width - w if k % 2 == 0 else width
            y0 = height - h if k // 2 == 0 else height
            canvas[y0:y0 + h, x0:x0 + w] = img
            boxes = part['gt_bboxes'].reshape(-1, 4).astype(np.float32)
            boxes = boxes * np.array([scale_w, scale_h, scale_w, scale_h], dtype=np.float32)
            boxes += np.array([x0, y0, x0, y0], dtype=np.float32)
            # stay inside this tile (annotations are already clipped to their image)
            boxes[:, 0::2] = boxes[:, 0::2].clip(x0, x0 + w)
            boxes[:, 1::2] = boxes[:, 1::2].clip(y0, y0 + h)
            all_boxes.append(boxes)
            all_labels.append(part['gt_bboxes_labels'].astype(np.int64))
            flags = part.get('gt_ignore_flags')
            if flags is None:
                flags = np.zeros(len(boxes), dtype=bool)
            all_flags.append(flags.astype(bool))
        return (canvas, np.concatenate(all_boxes).astype(np.float32),
                np.concatenate(all_labels), np.concatenate(all_flags))

    def __repr__(self) -> str:
        return (f'Mosaic(img_scale={self.img_scale}, prob={self.prob}, '
                f'pre_transform={self.pre_transform}, pad_val={self.pad_val})')
