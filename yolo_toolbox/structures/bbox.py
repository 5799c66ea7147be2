"""Box conversions and IoUs. The one place in the toolbox where box formats are defined.

Formats: ``xyxy`` = (x1, y1, x2, y2); ``cxcywh`` = (centre x, centre y, width, height).
All functions work on the last dimension and on any leading shape.
"""
import math
import warnings

import torch
from torch import Tensor


def cxcywh_to_xyxy(boxes: Tensor) -> Tensor:
    """(..., 4) cx, cy, w, h -> (..., 4) x1, y1, x2, y2."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def xyxy_to_cxcywh(boxes: Tensor) -> Tensor:
    """(..., 4) x1, y1, x2, y2 -> (..., 4) cx, cy, w, h."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)


def box_area(boxes_xyxy: Tensor) -> Tensor:
    """(..., 4) xyxy -> (...) area (negative extents count as zero)."""
    wh = (boxes_xyxy[..., 2:] - boxes_xyxy[..., :2]).clamp(min=0)
    return wh[..., 0] * wh[..., 1]


def _inter_union(boxes1_xyxy: Tensor, boxes2_xyxy: Tensor) -> tuple[Tensor, Tensor]:
    top_left = torch.maximum(boxes1_xyxy[..., :2], boxes2_xyxy[..., :2])
    bottom_right = torch.minimum(boxes1_xyxy[..., 2:], boxes2_xyxy[..., 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(-1)
    union = box_area(boxes1_xyxy) + box_area(boxes2_xyxy) - inter
    return inter, union


def broadcast_box_iou(boxes1_xyxy: Tensor, boxes2_xyxy: Tensor, eps: float = 1e-7) -> Tensor:
    """IoU of boxes paired element by element after broadcasting: (..., 4) x (..., 4) -> (...).

    Not a pairwise matrix by itself (unlike ``torchvision.ops.box_iou``): for an (N, M)
    matrix pass ``a[:, None]`` and ``b[None]``.
    """
    inter, union = _inter_union(boxes1_xyxy, boxes2_xyxy)
    return inter / (union + eps)


def box_iou(boxes1_xyxy: Tensor, boxes2_xyxy: Tensor, eps: float = 1e-7) -> Tensor:
    """Deprecated name of :func:`broadcast_box_iou` (it read like torchvision's pairwise
    ``box_iou``, which returns an (N, M) matrix; this one pairs boxes element-wise)."""
    warnings.warn('yolo_toolbox.structures.box_iou is deprecated: use broadcast_box_iou '
                  '(element-wise after broadcasting; torchvision.ops.box_iou is the pairwise '
                  'one)', DeprecationWarning, stacklevel=2)
    return broadcast_box_iou(boxes1_xyxy, boxes2_xyxy, eps)


def shape_iou(wh1: Tensor, wh2: Tensor, eps: float = 1e-7) -> Tensor:
    """IoU of two boxes with aligned centres, from widths and heights only.

    (..., 2) x (..., 2) -> (...), broadcast. This is the anchor-matching IoU of
    the single- and nearby-grid assigners.
    """
    inter = torch.minimum(wh1[..., 0], wh2[..., 0]) * torch.minimum(wh1[..., 1], wh2[..., 1])
    union = wh1[..., 0] * wh1[..., 1] + wh2[..., 0] * wh2[..., 1] - inter
    return inter / (union + eps)


def aligned_box_iou(pred_xyxy: Tensor, target_xyxy: Tensor, mode: str = 'iou',
                    eps: float = 1e-7) -> Tensor:
    """IoU-family similarity of paired boxes: (n, 4) x (n, 4) -> (n,).

    Modes: ``iou``; ``giou`` (minus the empty share of the enclosing box);
    ``diou`` (minus squared centre distance over squared enclosing diagonal);
    ``ciou`` (diou minus alpha * v, v the aspect-ratio consistency term);
    ``siou`` (SCYLLA-IoU, Gevorgyan 2022: minus the mean of the angle-aware
    distance cost and the shape cost).
    """
    if mode not in ('iou', 'giou', 'diou', 'ciou', 'siou'):
        raise ValueError(f"unknown IoU mode '{mode}'; use iou, giou, diou, ciou or siou")
    inter, union = _inter_union(pred_xyxy, target_xyxy)
    iou = inter / (union + eps)
    if mode == 'iou':
        return iou
    enclose_tl = torch.minimum(pred_xyxy[..., :2], target_xyxy[..., :2])
    enclose_br = torch.maximum(pred_xyxy[..., 2:], target_xyxy[..., 2:])
    enclose_wh = (enclose_br - enclose_tl).clamp(min=0)
    if mode == 'giou':
        enclose_area = enclose_wh.prod(-1)
        return iou - (enclose_area - union) / (enclose_area + eps)

    pred_cxcywh = xyxy_to_cxcywh(pred_xyxy)
    target_cxcywh = xyxy_to_cxcywh(target_xyxy)
    centre_delta = target_cxcywh[..., :2] - pred_cxcywh[..., :2]
    if mode in ('diou', 'ciou'):
        diag2 = (enclose_wh ** 2).sum(-1) + eps
        dist2 = (centre_delta ** 2).sum(-1)
        diou = iou - dist2 / diag2
        if mode == 'diou':
            return diou
        w1, h1 = pred_cxcywh[..., 2].clamp(min=eps), pred_cxcywh[..., 3].clamp(min=eps)
        w2, h2 = target_cxcywh[..., 2].clamp(min=eps), target_cxcywh[..., 3].clamp(min=eps)
        v = (4 / math.pi ** 2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
        with torch.no_grad():
            alpha = v / (1 - iou + v + eps)
        return diou - alpha * v

    # SIoU: angle cost, distance cost, shape cost
    sigma = centre_delta.norm(dim=-1) + eps
    sin_alpha = (centre_delta[..., 1].abs() / sigma).clamp(max=1.0)
    sin_beta = (centre_delta[..., 0].abs() / sigma).clamp(max=1.0)
    sin_angle = torch.where(sin_alpha > math.sqrt(2) / 2, sin_beta, sin_alpha)
    angle_cost = torch.cos(2 * torch.arcsin(sin_angle) - math.pi / 2)
    gamma = 2 - angle_cost
    rho = (centre_delta / (enclose_wh + eps)) ** 2
    distance_cost = 2 - torch.exp(-gamma * rho[..., 0]) - torch.exp(-gamma * rho[..., 1])
    w1, h1 = pred_cxcywh[..., 2], pred_cxcywh[..., 3]
    w2, h2 = target_cxcywh[..., 2], target_cxcywh[..., 3]
    omega_w = (w1 - w2).abs() / (torch.maximum(w1, w2) + eps)
    omega_h = (h1 - h2).abs() / (torch.maximum(h1, h2) + eps)
    shape_cost = (1 - torch.exp(-omega_w)) ** 4 + (1 - torch.exp(-omega_h)) ** 4
    return iou - 0.5 * (distance_cost + shape_cost)
