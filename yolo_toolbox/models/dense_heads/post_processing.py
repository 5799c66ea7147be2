"""Post-processing shared by the heads: batched class-aware NMS, rescale to the original image.

The same rules as ``YOLOHead.nms`` / ``predict_from_boxes`` / ``rescale_boxes`` (whose
methods may call these functions instead of their own copies). A head that mixes in
:class:`PostProcessMixin` and has ``num_classes`` and ``test_cfg`` gets the three methods
that the detector's TTA, the ONNX export wrapper and the backend runners call.
"""
from typing import Optional

import torch
from mmengine.structures import InstanceData
from torch import Tensor
from torchvision.ops import nms


def _top_pairs(scores: Tensor, nms_pre: int):
    """Multi-label candidates: the top ``nms_pre`` (box, class) pairs per image of scores
    (B, M, C) -> their scores, box indices and class labels, each (B, k)."""
    num_classes = scores.shape[2]
    flat = scores.reshape(scores.shape[0], -1)  # (B, M * C), box-major
    top_scores, top_flat = flat.topk(min(nms_pre, flat.shape[1]), dim=1)
    return (top_scores, torch.div(top_flat, num_classes, rounding_mode='floor'),
            top_flat % num_classes)


def batched_nms(boxes: Tensor, scores: Tensor, num_classes: int, cfg: dict) -> Tensor:
    """Class- and image-aware NMS over a whole batch, in one call (traceable to ONNX).

    Single-label (default, ``multi_label=False``): each box gets the arg-max class and its
    score. Multi-label (``multi_label=True``, the convention of YOLOv5 ``val.py`` and
    MMYOLO's evaluation): every (box, class) pair whose score is above ``score_thr``
    is a candidate, so one box may be kept for several classes. Then, per image, the top
    ``nms_pre`` candidates above ``score_thr`` enter class-aware NMS at ``nms_iou_thr``;
    at most ``max_per_img`` per image are kept.

    Args:
        boxes: (B, M, 4) xyxy; scores: (B, M, C).
        num_classes: C.
        cfg: ``score_thr``, ``nms_iou_thr``, ``max_per_img``, ``nms_pre``, optional
            ``multi_label``.

    Returns:
        dets (K, 7): image index, x1, y1, x2, y2, score, label; by descending score.
    """
    batch, num_boxes = scores.shape[:2]
    if cfg.get('multi_label', False):
        top_scores, top_idx, top_labels = _top_pairs(scores, int(cfg['nms_pre']))
    else:
        max_scores, labels = scores.max(dim=-1)  # (B, M)
        top_scores, top_idx = max_scores.topk(min(int(cfg['nms_pre']), num_boxes), dim=1)
        top_labels = labels.gather(1, top_idx)
    top_boxes = boxes.gather(1, top_idx[..., None].expand(-1, -1, 4))
    img_idx = torch.arange(batch, device=boxes.device)[:, None].expand_as(top_idx)
    valid = top_scores > cfg['score_thr']
    cand_boxes, cand_scores = top_boxes[valid], top_scores[valid]
    cand_labels, cand_imgs = top_labels[valid], img_idx[valid]
    # shift each (image, class) group apart by more than the coordinate range (taken from
    # all boxes, so it is defined even when no candidate passes score_thr)
    group = (cand_imgs * num_classes + cand_labels).to(boxes.dtype)
    shift = group[:, None] * (boxes.max() - boxes.min() + 1)
    keep = nms(cand_boxes + shift, cand_scores, cfg['nms_iou_thr'])  # score-descending
    # at most max_per_img per image: rank of each kept box within its image
    kept_imgs = cand_imgs[keep]
    same_img = kept_imgs[None, :] == torch.arange(batch, device=boxes.device)[:, None]
    rank = (same_img.long().cumsum(dim=1) * same_img.long()).sum(dim=0) - 1  # (K,)
    keep = keep[rank < cfg['max_per_img']]
    return torch.cat([cand_imgs[keep, None].to(boxes.dtype), cand_boxes[keep],
                      cand_scores[keep, None], cand_labels[keep, None].to(boxes.dtype)], dim=1)


def rescale_boxes(bboxes: Tensor, meta: dict) -> Tensor:
    """Network-input xyxy -> original-image xyxy: undo the letterbox padding (``pad_param``
    top, bottom, left, right) and resize (``scale_factor`` w, h), then clip to
    ``ori_shape`` (h, w)."""
    pad = meta.get('pad_param')
    if pad is not None:
        bboxes = bboxes - bboxes.new_tensor([pad[2], pad[0], pad[2], pad[0]])
    scale = meta.get('scale_factor', (1.0, 1.0))
    bboxes = bboxes / bboxes.new_tensor([scale[0], scale[1], scale[0], scale[1]])
    if 'ori_shape' in meta:
        height, width = meta['ori_shape'][:2]
        bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, width)
        bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, height)
    return bboxes


def dets_to_instances(dets: Tensor, batch_img_metas: list, rescale: bool = True
                      ) -> list[InstanceData]:
    """(K, 7) dets of :func:`batched_nms` -> per image an InstanceData with ``bboxes``
    (m, 4) xyxy (original-image pixels when ``rescale``), ``scores`` (m,), ``labels`` (m,)."""
    img_idx = dets[:, 0].long()
    results = []
    for i, meta in enumerate(batch_img_metas):
        img_dets = dets[img_idx == i]
        bboxes = img_dets[:, 1:5]
        if rescale:
            bboxes = rescale_boxes(bboxes, meta)
        results.append(InstanceData(bboxes=bboxes, scores=img_dets[:, 5],
                                    labels=img_dets[:, 6].long()))
    return results


class PostProcessMixin:
    """``nms``, ``predict_from_boxes``, ``rescale_boxes`` for a head with ``num_classes``
    and ``test_cfg`` (the interface of ``YOLOHead`` that TTA and export use)."""

    num_classes: int
    test_cfg: dict

    def nms(self, boxes: Tensor, scores: Tensor, cfg: Optional[dict] = None) -> Tensor:
        """(B, M, 4) xyxy, (B, M, C) -> dets (K, 7); see :func:`batched_nms`."""
        return batched_nms(boxes, scores, self.num_classes, {**self.test_cfg, **(cfg or {})})

    def predict_from_boxes(self, boxes: Tensor, scores: Tensor, batch_img_metas: list,
                           rescale: bool = True, cfg: Optional[dict] = None
                           ) -> list[InstanceData]:
        """NMS and rescale of decoded boxes (B, M, 4) xyxy in input pixels and scores
        (B, M, C); see :func:`dets_to_instances`."""
        dets = self.nms(boxes.float(), scores.float(), cfg)
        return dets_to_instances(dets, batch_img_metas, rescale)

    @staticmethod
    def rescale_boxes(bboxes: Tensor, meta: dict) -> Tensor:
        return rescale_boxes(bboxes, meta)
