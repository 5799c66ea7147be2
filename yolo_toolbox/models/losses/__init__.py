from .dfl_loss import DistributionFocalLoss
from .focal_loss import FocalLoss
from .iou_loss import IoULoss

__all__ = ['DistributionFocalLoss', 'FocalLoss', 'IoULoss']
