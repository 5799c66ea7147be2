"""IoU-family box regression losses: 1 - (IoU | GIoU | DIoU | CIoU | SIoU)."""
from torch import Tensor, nn

from yolo_toolbox.registry import MODELS
from yolo_toolbox.structures import aligned_box_iou, cxcywh_to_xyxy

from .focal_loss import _reduce


@MODELS.register_module()
class IoULoss(nn.Module):
    """Box loss ``1 - similarity`` over paired boxes.

    Args:
        mode: 'iou', 'giou', 'diou', 'ciou' or 'siou'
            (see :func:`yolo_toolbox.structures.aligned_box_iou`).
        box_format: 'cxcywh' or 'xyxy' for both inputs.
        reduction: 'mean', 'sum' or 'none'.
        loss_weight: multiplies the result.
    """

    def __init__(self, mode: str = 'ciou', box_format: str = 'cxcywh', reduction: str = 'mean',
                 loss_weight: float = 1.0, eps: float = 1e-7) -> None:
        super().__init__()
        if box_format not in ('cxcywh', 'xyxy'):
            raise ValueError(f"box_format must be 'cxcywh' or 'xyxy', got '{box_format}'")
        aligned_box_iou(*(Tensor([[0, 0, 1, 1]]),) * 2, mode=mode)  # validates mode early
        self.mode = mode
        self.box_format = box_format
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.eps = eps

    def similarity(self, pred: Tensor, target: Tensor) -> Tensor:
        """(n, 4) x (n, 4) -> (n,) IoU-family similarity of the configured mode."""
        if self.box_format == 'cxcywh':
            pred, target = cxcywh_to_xyxy(pred), cxcywh_to_xyxy(target)
        return aligned_box_iou(pred, target, mode=self.mode, eps=self.eps)

    def forward(self, pred: Tensor, target: Tensor, reduction: str = None) -> Tensor:
        loss = 1 - self.similarity(pred, target)
        return self.loss_weight * _reduce(loss, reduction or self.reduction)
