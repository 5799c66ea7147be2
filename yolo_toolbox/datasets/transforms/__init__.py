"""Data pipeline transforms (registered in ``yolo_toolbox.registry.TRANSFORMS``).

A training pipeline: LoadImageFromFile, LoadAnnotations, Mosaic, Albu, Letterbox,
PackDetInputs; a val/test one: LoadImageFromFile, Letterbox, LoadAnnotations,
PackDetInputs (GT stays in original-image pixels); a test-time-augmentation one ends in
TestTimeAug over TTAPass + PackDetInputs (:func:`make_tta_pipeline`).
"""
from .albu import Albu, build_albu_transform
from .formatting import PackDetInputs
from .letterbox import Letterbox, resize_keep_ratio
from .loading import LoadAnnotations, LoadImageFromFile
from .mosaic import Mosaic
from .tta import DEFAULT_TTA_SCALES, TTA_META_KEYS, TTAPass, make_tta_pipeline

__all__ = ['Albu', 'DEFAULT_TTA_SCALES', 'Letterbox', 'LoadAnnotations', 'LoadImageFromFile',
           'Mosaic', 'PackDetInputs', 'TTAPass', 'TTA_META_KEYS', 'build_albu_transform',
           'make_tta_pipeline', 'resize_keep_ratio']
