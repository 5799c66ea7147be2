"""Data pipeline transforms (registered in ``yolo_toolbox.registry.TRANSFORMS``).

A training pipeline: LoadImageFromFile, LoadAnnotations, Mosaic, Albu, Letterbox,
PackDetInputs; a val/test one: LoadImageFromFile, Letterbox, LoadAnnotations,
PackDetInputs (GT stays in original-image pixels).
"""
from .albu import Albu, build_albu_transform
from .formatting import PackDetInputs
from .letterbox import Letterbox, resize_keep_ratio
from .loading import LoadAnnotations, LoadImageFromFile
from .mosaic import Mosaic

__all__ = ['Albu', 'Letterbox', 'LoadAnnotations', 'LoadImageFromFile', 'Mosaic',
           'PackDetInputs', 'build_albu_transform', 'resize_keep_ratio']
