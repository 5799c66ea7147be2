from .focal_loss import FocalLoss
from .iou_loss import IoULoss

__all__ = ['FocalLoss', 'IoULoss']
