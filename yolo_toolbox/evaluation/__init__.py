"""Evaluation: the registered COCO-style mAP metric and the plain functions behind it."""
from . import functional
from .metrics import CocoStyleMetric

__all__ = ['CocoStyleMetric', 'functional']
