"""Letterbox: keep-ratio resize into a fixed (W, H) frame, padded centred."""
from typing import Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from yolo_toolbox.registry import TRANSFORMS


def resize_keep_ratio(img: np.ndarray, size_wh: Tuple[int, int],
                      interpolation: str = 'bilinear') -> Tuple[np.ndarray, float, float]:
    """Resize ``img`` (h, w, c) so that it fits in ``size_wh`` = (W, H), keeping its ratio.

    ratio = min(W / w, H / h); the new size is (round(w * ratio), round(h * ratio)),
    at least 1 pixel. Small images are enlarged.

    Returns:
        ``(resized, scale_w, scale_h)``: the actual factors new_w / w and new_h / h
        (they differ from ``ratio`` by the rounding only).
    """
    h, w = img.shape[:2]
    width, height = size_wh
    ratio = min(width / w, height / h)
    new_w, new_h = max(1, min(width, round(w * ratio))), max(1, min(height, round(h * ratio)))
    if (new_w, new_h) != (w, h):
        img = mmcv.imresize(img, (new_w, new_h), interpolation=interpolation)
    return img, new_w / w, new_h / h


@TRANSFORMS.register_module()
class Letterbox(BaseTransform):
    """Resize keeping the aspect ratio to fit (W, H), then pad centred to exactly (W, H).

    A no-op (scale 1, pad 0) for an image that already is W x H, as at the end of the
    training pipeline; in val/test pipelines put it *before* ``LoadAnnotations`` so the
    GT stays in original-image pixels (the metric reads it there).

    Reads: ``img``; ``gt_bboxes`` if present.
    Writes: ``img`` (H, W, 3), ``img_shape`` (H, W), ``scale_factor`` (scale_w, scale_h),
    the resize factors from the input image, ``pad_param`` float32
    [top, bottom, left, right] pixels, and ``gt_bboxes`` (scaled, shifted) if present.
    A network-input point (x, y) is (x - left) / scale_w, (y - top) / scale_h in the input.

    Args:
        scale: (W, H) of the output.
        pad_val: fill value of the padding (int or per-channel tuple).
        interpolation: mmcv interpolation name ('bilinear', 'area', 'nearest', ...).
    """

    def __init__(self, scale: Sequence[int], pad_val=0, interpolation: str = 'bilinear') -> None:
        if len(scale) != 2 or min(scale) <= 0:
            raise ValueError(f'Letterbox: scale must be (W, H) > 0, got {scale}')
        self.scale = (int(scale[0]), int(scale[1]))
        self.pad_val = pad_val
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        width, height = self.scale
        img, scale_w, scale_h = resize_keep_ratio(results['img'], self.scale, self.interpolation)
        new_h, new_w = img.shape[:2]
        top, left = (height - new_h) // 2, (width - new_w) // 2
        bottom, right = height - new_h - top, width - new_w - left
        if top or bottom or left or right:
            img = mmcv.impad(img, padding=(left, top, right, bottom), pad_val=self.pad_val)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['scale_factor'] = (scale_w, scale_h)
        results['pad_param'] = np.array([top, bottom, left, right], dtype=np.float32)
        if 'gt_bboxes' in results:
            boxes = results['gt_bboxes'] * np.array([scale_w, scale_h, scale_w, scale_h],
                                                    dtype=np.float32)
            boxes += np.array([left, top, left, top], dtype=np.float32)
            results['gt_bboxes'] = boxes.astype(np.float32)
        return results

    def __repr__(self) -> str:
        return f'Letterbox(scale={self.scale}, pad_val={self.pad_val})'
