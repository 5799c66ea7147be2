"""Focal binary cross-entropy on logits (works with soft targets)."""
import torch.nn.functional as F
from torch import Tensor, nn

from yolo_toolbox.registry import MODELS


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == 'mean':
        return loss.mean() if loss.numel() else loss.sum()
    if reduction == 'sum':
        return loss.sum()
    if reduction == 'none':
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got '{reduction}'")


@MODELS.register_module()
class FocalLoss(nn.Module):
    """``alpha * (1 - p_t) ** gamma * BCE(logits, targets)`` with ``p_t = exp(-BCE)``.

    ``gamma=0`` and ``alpha=1`` give plain BCE. Targets may be soft (e.g. an IoU as the
    objectness target). An empty input gives 0 with ``reduction='mean'``.

    Args:
        gamma: focusing parameter.
        alpha: constant weight.
        reduction: 'mean', 'sum' or 'none'.
        loss_weight: multiplies the result.
    """

    def __init__(self, gamma: float = 0.0, alpha: float = 1.0, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, targets: Tensor, weight: Tensor = None,
                reduction: str = None) -> Tensor:
        bce = F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype),
                                                 reduction='none')
        loss = self.alpha * bce
        if self.gamma:
            loss = loss * (1 - (-bce).exp()) ** self.gamma
        if weight is not None:
            loss = loss * weight
        return self.loss_weight * _reduce(loss, reduction or self.reduction)
