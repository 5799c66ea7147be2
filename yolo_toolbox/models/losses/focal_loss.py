"""Focal binary cross-entropy on logits (works with soft targets)."""
from typing import Optional

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
    """``alpha_t * (1 - p_t) ** gamma * BCE(logits, targets)`` with ``p_t = exp(-BCE)``.

    ``alpha`` means what it means in the focal-loss paper, ``torchvision.ops.
    sigmoid_focal_loss`` and MMDetection: ``alpha_t = alpha * t + (1 - alpha) * (1 - t)``
    balances positives (weight ``alpha``) against negatives (``1 - alpha``); with hard
    targets the result equals torchvision's. ``alpha=None`` (default) or a negative value
    (torchvision's "off") does not balance. A constant factor is ``loss_weight``.
    ``gamma=0`` and no ``alpha`` give plain BCE. Targets may be soft (e.g. an IoU as the
    objectness target; ``alpha_t`` is then linear in the target). An empty input gives 0
    with ``reduction='mean'``.

    Args:
        gamma: focusing parameter.
        alpha: weight of the positives in [0, 1] (negatives get ``1 - alpha``), or
            ``None`` / negative for no balancing.
        reduction: 'mean', 'sum' or 'none'.
        loss_weight: multiplies the result (what ``alpha`` did before it meant the
            positive / negative balance).

    Call: ``loss(logits, targets, weight=None, reduction=None)``; ``weight`` (same shape
    as ``logits``) multiplies each element before the reduction.
    """

    def __init__(self, gamma: float = 0.0, alpha: Optional[float] = None,
                 reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        if alpha is not None and alpha > 1:
            raise ValueError(
                f'FocalLoss: alpha={alpha} is not in [0, 1]. alpha is the weight of the '
                'positives against the negatives (1 - alpha), as in torchvision and '
                f'MMDetection; for a constant factor use loss_weight={alpha} instead.')
        self.gamma = gamma
        self.alpha = None if alpha is None or alpha < 0 else float(alpha)
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, targets: Tensor, weight: Optional[Tensor] = None,
                reduction: Optional[str] = None) -> Tensor:
        targets = targets.to(logits.dtype)
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
        loss = bce
        if self.gamma:
            loss = loss * (1 - (-bce).exp()) ** self.gamma
        if self.alpha is not None:
            loss = loss * (self.alpha * targets + (1 - self.alpha) * (1 - targets))
        if weight is not None:
            loss = loss * weight
        return self.loss_weight * _reduce(loss, reduction or self.reduction)
