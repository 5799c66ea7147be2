"""YOLOv8Head: anchor-free, decoupled class and box branches, DFL box distributions.

Call chains (the head orchestrates; the assigner picks positives and their targets, the
box coder decodes)::

    loss():    forward(feats) -> loss_by_feat(preds, gt_bboxes_labels, img_metas)
                   assign(preds, gt) (assign_mixin.py): assigner.assign_levels(...) and
                   the assign hooks (one point per cell: A = 1, anchors
                   [[stride, stride]]; with the detached decoded boxes and sigmoid class
                   scores if the assigner uses predictions) -> class BCE over every slot,
                   CIoU and DFL over the positives, all normalised by the class-target sum
    predict(): forward(feats) -> predict_by_feat(preds, img_metas)
                   decode_preds: every slot's box (the coder) and score = sigmoid(class)
                   -> nms (post_processing.batched_nms) -> rescale to the original image

Raw prediction layout: per scale (B, 1, H, W, 4 * reg_max + C): the box distributions
(l, t, r, b, ``reg_max`` logits each; see ``DistancePointBBoxCoder``), then the class logits.
"""
import inspect
import math
from collections.abc import Sequence
from typing import Optional, Union

import torch
from mmengine.dist import get_world_size
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from yolo_toolbox.models.layers import SILU_CFG, YOLOV8_BN_CFG, conv_norm_act, reset_conv_init_
from yolo_toolbox.models.task_modules.assigners import AssignLevel
from yolo_toolbox.registry import MODELS, TASK_UTILS
from yolo_toolbox.structures import cxcywh_to_xyxy, stack_gt_instances, xyxy_to_cxcywh

from .assign_mixin import AssignMixin
from .post_processing import PostProcessMixin


@MODELS.register_module()
class YOLOv8Head(AssignMixin, PostProcessMixin, BaseModule):
    """YOLOv8's detection head (Ultralytics ``Detect`` with ``v8DetectionLoss``).

    Per scale two branches of two 3x3 Conv-BN-SiLU each and a 1x1 conv: box
    (``max(16, in[0] // 4, 4 * reg_max)`` channels -> ``bbox_coder.num_raw``) and class
    (``max(in[0], min(C, 100))`` channels -> C). No objectness: the score of a box is the
    sigmoid of its class logit.

    Losses, with ``T`` the sum of all class targets (at least 1), as ``v8DetectionLoss``:

    - ``loss_cls = lambda_cls * sum(BCE(class logits, targets)) / T`` over every slot and
      class; a positive's target on its GT's class is the assigner's ``cls_target`` (e.g.
      YOLOv8's normalised alignment; default 1), every other target 0.
    - ``loss_bbox = lambda_box * sum(w * (1 - CIoU)) / T`` and ``loss_dfl = lambda_dfl *
      sum(w * DFL) / T`` (DFL averaged over the 4 sides) over the positives, with ``w`` the
      assigner's ``box_weight``, else its ``cls_target``, else 1. An ``obj_target`` is
      ignored (nothing predicts objectness).
    - ``scale_by_batch``: all three times (images in the batch) x (world size), as
      Ultralytics and MMYOLO do, so that the reference's SGD learning rate applies.

    Args:
        num_classes: object classes.
        in_channels: channels of each neck map (small stride first).
        strides: pixels per cell of each map.
        bbox_coder: TASK_UTILS config; its ``num_raw`` is the box branch's output width.
        assigner: TASK_UTILS config (YOLOv8: task-aligned, top 10, alpha 0.5, beta 6).
        loss_cls: class loss (a BCE: ``FocalLoss`` with gamma 0).
        loss_bbox: IoU-family box loss on cx, cy, w, h.
        loss_dfl: distribution focal loss; None drops it (then any coder can be used).
        lambda_cls, lambda_box, lambda_dfl: gains (YOLOv8: 0.5, 7.5, 1.5).
        scale_by_batch: see above.
        bias_init_img_size: class bias init ``log(5 / C / (size / stride) ** 2)`` (about 5
            objects of any class per image of this size); box bias init 1.0.
        norm_cfg, act_cfg: of the branch convs.
        conv_init: 'pytorch' (Ultralytics') or 'kaiming_fan_out' (mmcv ConvModule's).
        test_cfg: ``score_thr``, ``nms_iou_thr``, ``max_per_img``, ``nms_pre``.
    """

    #: the box coder is the head's own (a distance coder reaches every positive), not one
    #: chosen per assigner; tools/analysis_tools/assigner_sweep.py keeps it for every run
    coder_follows_assigner = False
    #: ``test_cfg`` keys and defaults (the config's ``test_cfg`` overrides them)
    DEFAULT_TEST_CFG = dict(score_thr=0.001, nms_iou_thr=0.7, max_per_img=300, nms_pre=30000,
                            multi_label=False)

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 strides: Sequence[int] = (8, 16, 32),
                 bbox_coder: dict = dict(type='DistancePointBBoxCoder', reg_max=16),
                 assigner: dict = dict(type='TaskAlignedAssigner', topk=10, alpha=0.5,
                                       beta=6.0),
                 loss_cls: dict = dict(type='FocalLoss', gamma=0.0),
                 loss_bbox: dict = dict(type='IoULoss', mode='ciou'),
                 loss_dfl: Optional[dict] = dict(type='DistributionFocalLoss'),
                 lambda_cls: float = 0.5,
                 lambda_box: float = 7.5,
                 lambda_dfl: float = 1.5,
                 scale_by_batch: bool = True,
                 bias_init_img_size: int = 640,
                 norm_cfg: dict = YOLOV8_BN_CFG,
                 act_cfg: dict = SILU_CFG,
                 conv_init: str = 'pytorch',
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if len(in_channels) != len(strides):
            raise ValueError(f'in_channels and strides need one entry per scale; got '
                             f'{len(in_channels)} and {len(strides)}')
        reset_conv_init_(nn.Identity(), conv_init)  # validates the name early
        self.num_classes = num_classes
        self.strides = tuple(strides)
        self.num_levels = len(strides)
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.assigner = TASK_UTILS.build(assigner)
        reach = getattr(self.assigner, 'reach', None)
        if not self.bbox_coder.covers(reach):
            raise ValueError(f'the box coder {self.bbox_coder.config()} cannot decode every '
                             f'positive of {type(self.assigner).__name__} (reach {reach})')
        self.num_raw = self.bbox_coder.num_raw
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_dfl = MODELS.build(loss_dfl) if loss_dfl is not None else None
        if self.loss_dfl is not None and not hasattr(self.bbox_coder, 'target_distances'):
            raise ValueError('loss_dfl needs a distribution coder (DistancePointBBoxCoder); '
                             'set loss_dfl=None for this bbox_coder')
        self.lambda_cls, self.lambda_box, self.lambda_dfl = lambda_cls, lambda_box, lambda_dfl
        self.scale_by_batch = scale_by_batch
        self.bias_init_img_size = bias_init_img_size
        self.conv_init = conv_init
        self.test_cfg = dict(self.DEFAULT_TEST_CFG)
        self.test_cfg.update(test_cfg or {})

        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        box_channels = max(16, in_channels[0] // 4, self.num_raw)
        cls_channels = max(in_channels[0], min(num_classes, 100))
        self.box_branches = nn.ModuleList(nn.Sequential(
            conv_norm_act(c, box_channels, 3, **cfg),
            conv_norm_act(box_channels, box_channels, 3, **cfg),
            nn.Conv2d(box_channels, self.num_raw, 1)) for c in in_channels)
        self.cls_branches = nn.ModuleList(nn.Sequential(
            conv_norm_act(c, cls_channels, 3, **cfg),
            conv_norm_act(cls_channels, cls_channels, 3, **cfg),
            nn.Conv2d(cls_channels, num_classes, 1)) for c in in_channels)

    @classmethod
    def coder_from_config(cls, head_cfg: dict):
        """The box coder a head built from ``head_cfg`` decodes with, without building
        the head (the exported-model runners compare it with the export's)."""
        default = inspect.signature(cls.__init__).parameters['bbox_coder'].default
        return TASK_UTILS.build(head_cfg.get('bbox_coder', default))

    def init_weights(self) -> None:
        super().init_weights()
        reset_conv_init_(self, self.conv_init)
        for box, cls, stride in zip(self.box_branches, self.cls_branches, self.strides):
            box[-1].bias.data.fill_(1.0)
            cls[-1].bias.data.fill_(
                math.log(5 / self.num_classes / (self.bias_init_img_size / stride) ** 2))

    # ------------------------------------------------------------------ forward / decode
    @property
    def raw_pred_layout(self) -> tuple[int, int]:
        """(A, D) of the raw prediction maps (B, A, H, W, D): one point per cell, R + C."""
        return 1, self.num_raw + self.num_classes

    def forward(self, feats: Sequence[Tensor]) -> list[Tensor]:
        """Neck maps (B, in[i], H, W) -> raw predictions per scale (B, 1, H, W, R + C),
        R = ``bbox_coder.num_raw``."""
        outs = []
        for feat, box, cls in zip(feats, self.box_branches, self.cls_branches):
            pred = torch.cat([box(feat), cls(feat)], dim=1)  # (B, R + C, H, W)
            outs.append(pred.permute(0, 2, 3, 1)[:, None].contiguous())
        return outs

    @staticmethod
    def grid_xy(grid_h: int, grid_w: int, like: Tensor) -> Tensor:
        """(H, W, 2) column, row of each cell."""
        ys, xs = torch.meshgrid(torch.arange(grid_h, device=like.device),
                                torch.arange(grid_w, device=like.device), indexing='ij')
        return torch.stack([xs, ys], dim=-1).to(like.dtype)

    def decode_level(self, pred: Tensor, level: int) -> Tensor:
        """(B, 1, H, W, R + C) raw -> (B, 1, H, W, 4) boxes cxcywh in input pixels."""
        grid_h, grid_w = pred.shape[2:4]
        stride = self.strides[level]
        return self.bbox_coder.decode(pred[..., :self.num_raw], self.grid_xy(grid_h, grid_w, pred),
                                      pred.new_tensor([stride, stride]), stride,
                                      (grid_h, grid_w))

    def decode_preds(self, preds: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        """Raw predictions -> boxes (B, M, 4) xyxy in network-input pixels and scores
        (B, M, C) = sigmoid(class logit); M = sum over scales of H * W."""
        batch = preds[0].shape[0]
        boxes = [self.decode_level(pred, level).reshape(batch, -1, 4)
                 for level, pred in enumerate(preds)]
        scores = [pred[..., self.num_raw:].sigmoid().reshape(batch, -1, self.num_classes)
                  for pred in preds]
        return cxcywh_to_xyxy(torch.cat(boxes, dim=1)), torch.cat(scores, dim=1)

    # ------------------------------------------------------------------ loss
    def loss(self, feats: Sequence[Tensor], batch_data_samples: Union[dict, list]) -> dict:
        """Forward and losses; ``batch_data_samples`` as for ``YOLOHead.loss`` (the
        preprocessor's ``dict(bboxes_labels=(N, 6), img_metas=...)`` or DetDataSamples)."""
        if isinstance(batch_data_samples, dict):
            gt_bboxes_labels = batch_data_samples['bboxes_labels']
            img_metas = batch_data_samples.get('img_metas', [])
        else:
            gt_bboxes_labels = stack_gt_instances(batch_data_samples).to(feats[0].device)
            img_metas = [s.metainfo for s in batch_data_samples]
        return self.loss_by_feat(self(feats), gt_bboxes_labels, img_metas)

    def assign_level(self, level: int, pred: Union[Tensor, Sequence[int]],
                     with_predictions: bool) -> AssignLevel:
        """What the assigner gets of one scale (``AssignMixin.assign``): one point per
        cell, anchor (stride, stride); the detached decoded boxes and class probabilities
        too when the assigner declares ``uses_predictions``."""
        pred_boxes = pred_scores = None
        if with_predictions:
            with torch.no_grad():
                pred = pred.detach()
                pred_boxes = self.decode_level(pred, level)
                pred_scores = pred[..., self.num_raw:].sigmoid()
        stride = self.strides[level]
        anchors = (pred.new_tensor([[stride, stride]]) if isinstance(pred, Tensor)
                   else torch.tensor([[stride, stride]], dtype=torch.float32,
                                     device=self.cls_branches[level][-1].weight.device))
        return AssignLevel(anchors, self.grid_size_of(pred), stride, pred_boxes, pred_scores)

    def loss_by_feat(self, preds: Sequence[Tensor], gt_bboxes_labels: Tensor,
                     img_metas: Optional[list] = None) -> dict:
        """Losses from raw predictions.

        Args:
            preds: per scale (B, 1, H, W, R + C) raw predictions.
            gt_bboxes_labels: (N, 6) batch index, label, x1, y1, x2, y2 (input pixels).
            img_metas: per-image meta (unused).

        Returns:
            ``loss_cls``, ``loss_bbox``, ``loss_dfl`` (the total) and, for logs only,
            ``num_pos``, ``pos_per_gt`` and ``gts_no_pos`` as ``YOLOHead`` gives them.
        """
        preds = [pred.float() for pred in preds]  # fp32 losses under autocast
        gt_boxes = xyxy_to_cxcywh(gt_bboxes_labels[:, 2:6].float())
        gt_labels = gt_bboxes_labels[:, 1].long()
        results = self.assign(preds, gt_bboxes_labels)
        # zero-valued sums still connected to every branch (DDP needs every gradient)
        cls_sum = preds[0].new_zeros(())
        box_sum = dfl_sum = sum(pred[..., :self.num_raw].sum() for pred in preds) * 0
        target_sum = preds[0].new_zeros(())
        for level, (pred, result) in enumerate(zip(preds, results)):
            cls_logits = pred[..., self.num_raw:]
            cls_target = torch.zeros_like(cls_logits)
            if result.num_pos:
                stride = self.strides[level]
                slots = (result.batch_idx, result.anchor_idx, result.grid_y, result.grid_x)
                labels = gt_labels[result.gt_idx]
                value = (result.cls_target.to(pred.dtype) if result.cls_target is not None
                         else pred.new_ones(result.num_pos))
                cls_target[(*slots, labels)] = value
                weight = (result.box_weight.to(pred.dtype) if result.box_weight is not None
                          else value)
                pos_raw = pred[slots][:, :self.num_raw]  # (P, R)
                grid_xy = torch.stack([result.grid_x, result.grid_y], dim=-1).to(pred.dtype)
                pos_boxes = self.bbox_coder.decode(pos_raw, grid_xy, pred.new_tensor(
                    [stride, stride]), stride, tuple(pred.shape[2:4]))
                target_boxes = gt_boxes[result.gt_idx]
                box_sum = box_sum + (self.loss_bbox(pos_boxes, target_boxes,
                                                    reduction='none') * weight).sum()
                if self.loss_dfl is not None:
                    target_ltrb = self.bbox_coder.target_distances(target_boxes, grid_xy, stride)
                    reg_max = self.bbox_coder.reg_max
                    dfl = self.loss_dfl(pos_raw.reshape(-1, reg_max), target_ltrb.reshape(-1),
                                        reduction='none').view(-1, 4).mean(dim=1)
                    dfl_sum = dfl_sum + (dfl * weight).sum()
            cls_sum = cls_sum + self.loss_cls(cls_logits, cls_target, reduction='sum')
            target_sum = target_sum + cls_target.sum()
        scale = preds[0].shape[0] * get_world_size() if self.scale_by_batch else 1
        norm = target_sum.clamp(min=1) / scale
        losses = dict(loss_cls=self.lambda_cls * cls_sum / norm,
                      loss_bbox=self.lambda_box * box_sum / norm)
        if self.loss_dfl is not None:
            losses['loss_dfl'] = self.lambda_dfl * dfl_sum / norm
        num_pos = sum(r.num_pos for r in results)
        losses['num_pos'] = torch.tensor(float(num_pos), device=preds[0].device)
        pos_per_gt = torch.bincount(torch.cat([r.gt_idx for r in results]),
                                    minlength=gt_labels.numel())
        losses['pos_per_gt'] = pos_per_gt.float().mean().nan_to_num(0.0)
        losses['gts_no_pos'] = (pos_per_gt == 0).float().mean().nan_to_num(0.0)
        return losses

    # ------------------------------------------------------------------ predict
    def predict(self, feats: Sequence[Tensor], batch_data_samples: list,
                rescale: bool = True) -> list[InstanceData]:
        img_metas = [s.metainfo for s in batch_data_samples]
        return self.predict_by_feat(self(feats), img_metas, rescale=rescale)

    def predict_by_feat(self, preds: Sequence[Tensor], batch_img_metas: list,
                        rescale: bool = True, cfg: Optional[dict] = None) -> list[InstanceData]:
        """Decode (the coder alone), score = sigmoid(class), NMS, rescale. Per image an
        InstanceData with ``bboxes`` (m, 4) xyxy (original-image pixels when ``rescale``),
        ``scores`` (m,), ``labels`` (m,)."""
        boxes, scores = self.decode_preds(preds)
        return self.predict_from_boxes(boxes, scores, batch_img_metas, rescale, cfg)
