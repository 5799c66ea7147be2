"""Post-processing, in one place: class-aware NMS, rescaling to the original image,
fusion of test-time-augmentation passes.

Everything that turns decoded boxes and scores into detections calls this module: the
heads (through :class:`PostProcessMixin`), test-time augmentation (``YOLOTTAModel``
merges its passes with :func:`merge_tta_passes`), the ONNX export wrapper
(``models/detectors/export.py``), the exported-model runners (``apis/deploy.py``,
through :class:`PostProcessor`, built from the config alone) and the visualiser's
display NMS (:func:`class_offset_nms`).

The settings are the head's ``test_cfg``: ``score_thr``, ``nms_iou_thr``,
``max_per_img``, ``nms_pre``.
"""
from collections.abc import Sequence
from typing import Optional

import torch
from mmengine.structures import InstanceData
from torch import Tensor
from torchvision.ops import box_iou as pairwise_box_iou
from torchvision.ops import nms

#: what a ``test_cfg`` holds (see :func:`batched_nms`)
TEST_CFG_KEYS = ('score_thr', 'nms_iou_thr', 'max_per_img', 'nms_pre')


def class_offset_nms(boxes: Tensor, scores: Tensor, groups: Tensor, iou_thr: float,
                     span: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
    """NMS within groups (classes, or image x class), in one ``nms`` call.

    Each group's boxes are shifted by ``group * span`` so that boxes of two groups never
    overlap; ``span`` must exceed the coordinate range (default ``boxes.max() -
    boxes.min() + 1``; pass a range taken from a larger set to keep it defined when
    ``boxes`` is empty). One ``nms`` call exports to ONNX ``NonMaxSuppression``.

    Args:
        boxes: (K, 4) xyxy; scores: (K,); groups: (K,) integer group of each box.
        iou_thr: boxes of one group overlapping by more than this are suppressed.

    Returns:
        keep (R,) indices into ``boxes`` by descending score, and the shifted boxes
        (K, 4) (boxes of different groups have IoU 0 between them).
    """
    if span is None:  # (any span works for no boxes)
        span = boxes.max() - boxes.min() + 1 if len(boxes) else 1.0
    shifted = boxes + groups.to(boxes.dtype)[:, None] * span
    return nms(shifted, scores, iou_thr), shifted


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
    # one group per (image, class); the span is taken from all boxes (min included: boxes
    # may start left of 0), so it is defined even when no candidate passes score_thr
    keep, _ = class_offset_nms(cand_boxes, cand_scores, cand_imgs * num_classes + cand_labels,
                               cfg['nms_iou_thr'], span=boxes.max() - boxes.min() + 1)
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


def fuse_pass_detections(pass_dets: Sequence[Tensor], iou_thr: float,
                         max_dets: int) -> Tensor:
    """Fuse the detections of one image from several TTA passes into one set.

    Args:
        pass_dets: per pass (K_p, 6) x1, y1, x2, y2, score, label, each after its own
            NMS at ``iou_thr``.
        iou_thr: detections of the same class that overlap by more than this are one
            object. With the passes' own NMS threshold, no two detections of one pass
            fuse, so a single pass comes out unchanged.
        max_dets: keep at most this many, best first.

    Returns:
        (K, 6) like the input: per object the score-weighted mean box of its detections,
        its score the mean over all passes of each pass's best score for it (a pass that
        missed it counts 0: what one pass alone sees is down-weighted), its label.
    """
    num_passes = len(pass_dets)
    dets = torch.cat(list(pass_dets))
    if len(dets) == 0:
        return dets
    pass_idx = torch.cat([torch.full((len(d), ), p, dtype=torch.long, device=dets.device)
                          for p, d in enumerate(pass_dets)])
    boxes, scores, labels = dets[:, :4], dets[:, 4], dets[:, 5].long()
    # one representative per object, best first (one class at a time, in one call)
    keep, shifted = class_offset_nms(boxes, scores, labels, iou_thr)
    iou = pairwise_box_iou(shifted, shifted[keep])  # (K, R); 0 across classes
    # each detection joins the representative it overlaps most (its own, or the one
    # that suppressed it: above iou_thr by construction)
    cluster = iou.argmax(dim=1)
    num = len(keep)
    weight = scores[:, None]
    fused_boxes = boxes.new_zeros(num, 4).index_add_(0, cluster, boxes * weight)
    fused_boxes /= boxes.new_zeros(num).index_add_(0, cluster, scores)[:, None]
    best = scores.new_zeros(num * num_passes).scatter_reduce_(
        0, cluster * num_passes + pass_idx, scores, reduce='amax')
    fused_scores = best.view(num, num_passes).sum(dim=1) / num_passes
    order = fused_scores.argsort(descending=True)[:max_dets]
    return torch.cat([fused_boxes[order], fused_scores[order, None],
                      labels[keep][order, None].to(boxes.dtype)], dim=1)


def merge_tta_passes(pass_boxes: Sequence[Tensor], pass_scores: Sequence[Tensor],
                     batch_img_metas: list, num_classes: int, cfg: dict,
                     merge: str = 'fuse') -> list[InstanceData]:
    """The detections of a batch from several TTA passes.

    Args:
        pass_boxes: per pass (B, M_p, 4) xyxy, already mapped back to the frame of the
            un-augmented network input (pixels).
        pass_scores: per pass (B, M_p, C).
        batch_img_metas: per image its meta (for :func:`rescale_boxes`).
        num_classes: C.
        cfg: the head's ``test_cfg``.
        merge: ``'fuse'``: :func:`batched_nms` on each pass, then
            :func:`fuse_pass_detections` at ``nms_iou_thr``; ``'nms'``: all passes'
            boxes through one :func:`batched_nms` (YOLOv5's ``--augment``; only the top
            ``nms_pre`` enter it: NMS time grows with the square of its input).

    Returns:
        Per image an InstanceData (``bboxes`` in original-image pixels, ``scores``,
        ``labels``).
    """
    if merge == 'nms':
        dets = batched_nms(torch.cat(list(pass_boxes), dim=1).float(),
                           torch.cat(list(pass_scores), dim=1).float(), num_classes, cfg)
        return dets_to_instances(dets, batch_img_metas)
    if merge != 'fuse':
        raise ValueError(f"merge must be 'fuse' or 'nms', got {merge!r}")
    pass_dets = [batched_nms(boxes.float(), scores.float(), num_classes, cfg)
                 for boxes, scores in zip(pass_boxes, pass_scores)]
    results = []
    for i, meta in enumerate(batch_img_metas):
        fused = fuse_pass_detections([dets[dets[:, 0] == i, 1:] for dets in pass_dets],
                                     iou_thr=cfg['nms_iou_thr'],
                                     max_dets=int(cfg['max_per_img']))
        results.append(InstanceData(bboxes=rescale_boxes(fused[:, :4], meta),
                                    scores=fused[:, 4], labels=fused[:, 5].long()))
    return results


class PostProcessMixin:
    """``nms``, ``predict_from_boxes``, ``rescale_boxes`` for an object with
    ``num_classes`` and ``test_cfg`` (the interface TTA, export and the backend runners
    use): the heads and :class:`PostProcessor`."""

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
        """See :func:`rescale_boxes`."""
        return rescale_boxes(bboxes, meta)


class PostProcessor(PostProcessMixin):
    """A head's post-processing without its network: what runs after an exported model.

    Args:
        num_classes: C.
        test_cfg: complete ``score_thr``, ``nms_iou_thr``, ``max_per_img``, ``nms_pre``.

    :meth:`from_head_config` builds it from a head's config dict, with the head class's
    ``DEFAULT_TEST_CFG`` under the config's ``test_cfg`` (no module is built).
    """

    def __init__(self, num_classes: int, test_cfg: dict) -> None:
        self.num_classes = num_classes
        self.test_cfg = dict(test_cfg)

    @classmethod
    def from_head_config(cls, head_cfg: dict) -> 'PostProcessor':
        from yolo_toolbox.registry import MODELS
        head_cls = MODELS.get(head_cfg['type'])
        if head_cls is None:
            raise KeyError(f"{head_cfg['type']!r} is not in the MODELS registry")
        test_cfg = {**getattr(head_cls, 'DEFAULT_TEST_CFG', {}),
                    **(head_cfg.get('test_cfg') or {})}
        missing = [k for k in TEST_CFG_KEYS if k not in test_cfg]
        if missing:
            raise KeyError(f"{head_cfg['type']}: test_cfg needs {missing} (the class has no "
                           'DEFAULT_TEST_CFG giving them)')
        return cls(head_cfg['num_classes'], test_cfg)
