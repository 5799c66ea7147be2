"""Albu: one registered wrapper around an albumentations ``Compose`` built from configs."""
import inspect
import random
import warnings
from typing import Any, Dict, Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from yolo_toolbox.registry import TRANSFORMS

# argument names that albumentations 1.x accepted and 2.x silently drops (with a warning)
RENAMED_ARGS = {
    'value': 'fill', 'cval': 'fill', 'pad_val': 'fill', 'mask_value': 'fill_mask',
    'cval_mask': 'fill_mask', 'pad_val_mask': 'fill_mask', 'always_apply': 'p=1.0',
}
# label fields this wrapper passes through albumentations itself
_MANAGED_LABEL_FIELDS = ('gt_bboxes_labels', 'gt_ignore_flags')
_INDEX_FIELD = 'gt_box_index'


def _check_args(cls: type, kwargs: Dict[str, Any]) -> None:
    """Raise for arguments the albumentations class does not take (no silent drops)."""
    params = inspect.signature(cls).parameters
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        valid = None  # **kwargs: only the warning check below can catch mistakes
    else:
        valid = set(params) | {'p'}
    for name in kwargs:
        if valid is not None and name not in valid:
            hint = (f' (albumentations 2.x renamed it to {RENAMED_ARGS[name]!r})'
                    if name in RENAMED_ARGS else '')
            raise ValueError(f'Albu: albumentations.{cls.__name__} has no argument {name!r}'
                             f'{hint}; valid arguments: {sorted(valid)}')


def build_albu_transform(cfg: dict):
    """Build one albumentations transform (or nested composition) from a config dict."""
    import albumentations as A

    cfg = dict(cfg)
    type_name = cfg.pop('type', None)
    if not isinstance(type_name, str) or not hasattr(A, type_name):
        raise ValueError(f'Albu: {type_name!r} is not an albumentations transform '
                         f'(config {cfg})')
    cls = getattr(A, type_name)
    if 'transforms' in cfg:  # OneOf / SomeOf / Sequential ...
        cfg['transforms'] = [build_albu_transform(t) for t in cfg['transforms']]
    _check_args(cls, cfg)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        transform = cls(**cfg)
    for w in caught:
        message = str(w.message)
        if 'not valid' in message or issubclass(w.category, DeprecationWarning):
            raise ValueError(f'Albu: albumentations.{type_name}({cfg}): {message}')
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return transform


@TRANSFORMS.register_module()
class Albu(BaseTransform):
    """Albumentations augmentations on the image and its boxes.

    Example::

        dict(type='Albu',
             transforms=[dict(type='RandomScale', scale_limit=(-0.5, 1.0)),
                         dict(type='PadIfNeeded', min_height=512, min_width=512,
                              border_mode=cv2.BORDER_CONSTANT, fill=0),
                         dict(type='RandomCrop', height=512, width=512),
                         dict(type='HorizontalFlip', p=0.5)],
             bbox_params=dict(format='pascal_voc', min_area=10, min_visibility=0.01))

    Every argument is checked against the albumentations class: unknown or renamed
    ones (1.x ``value=`` is 2.x ``fill=``) are errors, not the silent no-ops
    albumentations 2.x makes of them. The image goes to albumentations as RGB (its
    colour transforms assume RGB) and comes back BGR. Labels and ignore flags travel
    with their boxes (the wrapper passes each box's index as the label field and
    gathers labels and flags by it), so they stay aligned and keep their dtypes.
    The albumentations RNG is reseeded from numpy's global RNG on every call, so
    dataloader workers (seeded by mmengine) do not repeat each other.

    Reads: ``img`` (H, W, 3) uint8 BGR, ``gt_bboxes`` float32 (n, 4) xyxy pixels,
    ``gt_bboxes_labels`` (n,), ``gt_ignore_flags`` (n,) (optional, default False).
    Writes: ``img``, ``img_shape`` (h, w), ``gt_bboxes`` float32, ``gt_bboxes_labels``
    int64, ``gt_ignore_flags`` bool (boxes dropped by ``min_area``/``min_visibility``
    are gone from all three).

    Args:
        transforms: albumentations transform configs (``type`` = class name in
            ``albumentations``); ``transforms`` inside one nests (``OneOf``).
        bbox_params: ``albumentations.BboxParams`` arguments. ``format`` must be
            ``'pascal_voc'``; ``label_fields`` is managed here (the names
            ``gt_bboxes_labels``/``gt_ignore_flags`` are accepted and redundant);
            ``clip`` defaults to True.
        bgr_to_rgb: convert the image to RGB for albumentations and back.
    """

    def __init__(self, transforms: Sequence[dict], bbox_params: Optional[dict] = None,
                 bgr_to_rgb: bool = True) -> None:
        import albumentations as A

        self.transforms_cfg = [dict(t) for t in transforms]
        bbox_params = dict(bbox_params or {})
        fmt = bbox_params.setdefault('format', 'pascal_voc')
        if fmt != 'pascal_voc':
            raise ValueError(f"Albu: bbox_params format must be 'pascal_voc' (gt_bboxes are "
                             f'xyxy pixels), got {fmt!r}')
        extra = set(bbox_params.pop('label_fields', None) or ()) - set(_MANAGED_LABEL_FIELDS)
        if extra:
            raise ValueError(f'Albu: label_fields {sorted(extra)} are not supported; labels '
                             f'and ignore flags are carried by the wrapper itself')
        bbox_params['label_fields'] = [_INDEX_FIELD]
        bbox_params.setdefault('clip', True)
        _check_args(A.BboxParams, bbox_params)
        self.bbox_params = bbox_params
        self.bgr_to_rgb = bgr_to_rgb
        transforms = [build_albu_transform(t) for t in self.transforms_cfg]
        with warnings.catch_warnings():
            # boxes always travel through; a colour-only list is fine, not worth a warning
            warnings.filterwarnings('ignore', message='Got processor for bboxes')
            self.aug = A.Compose(transforms, bbox_params=A.BboxParams(**bbox_params))

    def transform(self, results: dict) -> dict:
        img = results['img']
        boxes = results.get('gt_bboxes', np.zeros((0, 4), np.float32)).reshape(-1, 4)
        n = len(boxes)
        labels = results.get('gt_bboxes_labels', np.zeros(n, np.int64))
        flags = results.get('gt_ignore_flags', np.zeros(n, bool))
        h, w = img.shape[:2]
        # albumentations rejects boxes outside the image or with no extent: clip, then drop
        boxes = boxes.astype(np.float32).copy()
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, w)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, h)
        keep = np.flatnonzero((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1]))

        seed = int(np.random.randint(0, 2**31 - 1))
        self.aug.set_random_state(np.random.default_rng(seed), random.Random(seed))
        if self.bgr_to_rgb and img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        out = self.aug(image=img, bboxes=boxes[keep], **{_INDEX_FIELD: keep.tolist()})
        img = out['image']
        if self.bgr_to_rgb and img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
        # albumentations returns label fields as floats (or lists): cast back to indices
        index = np.asarray(out[_INDEX_FIELD], dtype=np.float64).round().astype(np.int64)
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = img.shape[:2]
        results['gt_bboxes'] = np.asarray(out['bboxes'], dtype=np.float32).reshape(-1, 4)
        results['gt_bboxes_labels'] = np.asarray(labels, dtype=np.int64)[index]
        results['gt_ignore_flags'] = np.asarray(flags, dtype=bool)[index]
        return results

    def __repr__(self) -> str:
        return f'Albu(transforms={self.transforms_cfg}, bbox_params={self.bbox_params})'

