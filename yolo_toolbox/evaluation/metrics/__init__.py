"""Registered evaluation metrics."""
from .coco_style_metric import CocoStyleMetric

__all__ = ['CocoStyleMetric']
