"""Distribution focal loss (Generalized Focal Loss, Li et al., NeurIPS 2020; YOLOv8's DFL)."""
import torch.nn.functional as F
from torch import Tensor, nn

from yolo_toolbox.registry import MODELS

from .focal_loss import _reduce


@MODELS.register_module()
class DistributionFocalLoss(nn.Module):
    """Cross-entropy towards the two bins around a continuous target.

    For a target ``y`` in ``[0, R - 1)`` (R bins) with ``l = floor(y)``:
    ``(l + 1 - y) * CE(logits, l) + (y - l) * CE(logits, l + 1)``; it is smallest when
    the softmax puts ``l + 1 - y`` on bin ``l`` and ``y - l`` on bin ``l + 1``, whose
    expectation is ``y``.

    Args:
        reduction: 'mean', 'sum' or 'none'.
        loss_weight: multiplies the result.

    Inputs: ``logits`` (n, R), ``target`` (n,) in bins (cells for a distance coder);
    output (n,) with ``reduction='none'``.
    """

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, target: Tensor, reduction: str = None) -> Tensor:
        num_bins = logits.shape[-1]
        target = target.to(logits.dtype).clamp(0, num_bins - 1 - 1e-4)
        left = target.long()
        weight_left = left + 1 - target
        loss = (F.cross_entropy(logits, left, reduction='none') * weight_left
                + F.cross_entropy(logits, left + 1, reduction='none') * (1 - weight_left))
        return self.loss_weight * _reduce(loss, reduction or self.reduction)
