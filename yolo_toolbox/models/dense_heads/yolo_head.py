"""YOLOHead: per-scale 1x1 convs, box decoding, loss and prediction.

Call chains (the head orchestrates; the assigner decides positives and their targets,
the box coder decodes)::

    loss():    forward(feats) -> loss_by_feat(preds, gt_bboxes_labels, img_metas)
                   assign(preds, gt): assigner.assign_levels(...) (all scales; with the
                   detached predictions if the assigner uses them), then the assign hooks
                   (assign_mixin.py) -> per scale: decode the positives
                   (bbox_coder) -> box, class and objectness losses with the targets the
                   assigner declared (obj_target, cls_target, box_weight) or the defaults
    predict(): forward(feats) -> predict_by_feat(preds, img_metas)
                   decode_preds: every slot's box (bbox_coder; the assigner is not used),
                   score = objectness * class prob
                   -> nms: one class- and image-aware NMS over the whole batch
                   -> rescale to the original image (both in post_processing.py)

Raw prediction layout: per scale (B, A, H, W, 5 + C) with the last dimension
[objectness, x, y, w, h, class_0 ... class_{C-1}] (logits / raw values).
"""
import inspect
import math
from collections.abc import Sequence
from typing import Optional, Union

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from yolo_toolbox.models.task_modules.assigners import AssignLevel
from yolo_toolbox.models.task_modules.coders import BaseBBoxCoder
from yolo_toolbox.registry import MODELS, TASK_UTILS
from yolo_toolbox.structures import (
    broadcast_box_iou,
    cxcywh_to_xyxy,
    stack_gt_instances,
    xyxy_to_cxcywh,
)
from yolo_toolbox.utils.keys import check_known_keys

from .assign_mixin import AssignMixin
from .post_processing import PostProcessMixin

# COCO anchors (w, h in pixels) of YOLOv3, small to large scale
COCO_ANCHORS = [[(10, 13), (16, 30), (33, 23)],
                [(30, 61), (62, 45), (59, 119)],
                [(116, 90), (156, 198), (373, 326)]]


@MODELS.register_module()
class YOLOHead(AssignMixin, PostProcessMixin, BaseModule):
    """Anchor-based YOLO head: a box coder decodes, an assigner chooses the positives.

    Args:
        num_classes: number of object classes.
        in_channels: channels of each input feature map (small stride first).
        anchors: per scale a list of anchor (w, h) in network-input pixels.
        strides: pixels per cell of each scale.
        assigner: config of a grid assigner (TASK_UTILS); used in training only.
        bbox_coder: config of a box coder (TASK_UTILS): raw outputs -> boxes, in training
            and inference. It must decode the assigner's reach (checked here). None: the
            assigner's ``default_coder()`` (the original's bounded coder for the static
            assigners, YOLOX's unbounded one for dynamic assigners whose positives lie
            anywhere), with ``wh_decode``.
        assign_conf_method: objectness target of a positive: 'iou' (IoU of the decoded
            box with its GT, detached) or 'constant' (1), where the assigner declares no
            ``obj_target``. The assigner's ``box_weight`` (default: equal weights) weights
            the box loss; its ``cls_target`` goes where ``cls_target_on`` says.
        cls_target_on: where a declared ``cls_target`` (the soft quality of a positive,
            e.g. YOLOX's IoU, YOLOv8's normalised alignment) is learned. 'objectness'
            (default): it multiplies the positive's objectness target and the class
            target stays one-hot, so the detection score objectness x class learns the
            same product; this head trains its class branch on positives only and its
            objectness on every slot, so only there does a low quality compete with the
            negatives. 'class': on the GT class, as YOLOX places it; with this head's
            focal objectness (gamma 3.5 in the configs) that ranked untrained negatives
            above the positives on the held-out sets (mAP@0.5 ~0 after 12 epochs for
            task-aligned and SimOTA; docs/assigners.md), so pair it with a plain-BCE
            objectness. With one class there is no class branch to train and it always
            multiplies the objectness target.
        loss_obj, loss_cls, loss_bbox: loss configs (objectness focal BCE, class focal
            BCE, IoU-family box loss).
        lambda_obj, lambda_coord, lambda_cls: weights of the three parts.
        lambda_noobj: with ``use_noobj_loss``, the weight of the objectness loss of
            negative slots (positives keep weight 1).
        lambda_scales: weight of each scale's loss.
        loss_normalizer: how each part is averaged (None: what the assigner declares,
            ``loss_normalizer`` of its class, 'mean' unless it says otherwise).
            'mean' (the original's): per scale, objectness averaged over every slot, box
            and class losses over the positives (the box a weighted mean where the
            assigner gives ``box_weight``). 'num_pos' (YOLOX, ATSS): every part summed over
            all scales (class over its classes too) and divided by the batch's number of
            positives; the box loss, where weighted, by the sum of its weights. 'target_sum'
            (TOOD / YOLOv8): divided by the sum of the positives' score targets
            (objectness x class target), at least 1; the box loss weighted by
            ``box_weight`` and divided by the same sum. Under DDP each process divides
            by its own batch's normaliser (as YOLOv8; YOLOX averages its number of
            positives over the processes first).
        wh_decode: with ``bbox_coder=None`` only: the size decoding of the default coder,
            'sigmoid_square' (``(2 * sigmoid) ** 2 * anchor``, in (0, 4 anchor)),
            'linear' (the original's ``raw * 4 * anchor``) or 'exp' (``exp * anchor``).
        conv_bias: give the 1x1 prediction convs a bias. The original's have none, and
            on the held-out sets that trains better (docs/results.md, ablation table).
        prior_prob: with ``conv_bias``, the initial objectness / class probability
            (RetinaNet's bias init, e.g. 0.01); None leaves PyTorch's default bias init.
        test_cfg: ``score_thr``, ``nms_iou_thr``, ``max_per_img``, ``nms_pre`` (top
            candidates per image kept before NMS), ``multi_label`` (default False: one
            class per box; True: every class above ``score_thr`` is a candidate, the
            YOLOv5 ``val.py`` / MMYOLO convention, :func:`.post_processing.batched_nms`).
    """

    #: ``test_cfg`` keys and defaults (the config's ``test_cfg`` overrides them)
    DEFAULT_TEST_CFG = dict(score_thr=0.001, nms_iou_thr=0.6, max_per_img=100, nms_pre=3000,
                            multi_label=False)
    #: the ways of averaging the loss parts (``loss_normalizer``)
    LOSS_NORMALIZERS = ('mean', 'num_pos', 'target_sum')

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 anchors: Sequence[Sequence[Sequence[float]]] = COCO_ANCHORS,
                 strides: Sequence[int] = (8, 16, 32),
                 assigner: dict = dict(type='NearbyGridAssigner', match_iou_thres=0.0625,
                                       filter_by_max_iou=True),
                 bbox_coder: Optional[dict] = None,
                 assign_conf_method: str = 'iou',
                 cls_target_on: str = 'objectness',
                 loss_obj: dict = dict(type='FocalLoss', gamma=0.0),
                 loss_cls: dict = dict(type='FocalLoss', gamma=0.0),
                 loss_bbox: dict = dict(type='IoULoss', mode='ciou'),
                 lambda_obj: float = 1.0,
                 lambda_coord: float = 1.0,
                 lambda_cls: float = 1.0,
                 lambda_noobj: float = 1.0,
                 lambda_scales: Sequence[float] = (1.0, 1.0, 1.0),
                 use_noobj_loss: bool = False,
                 loss_normalizer: Optional[str] = None,
                 wh_decode: Optional[str] = None,
                 conv_bias: bool = False,
                 prior_prob: Optional[float] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if not (len(in_channels) == len(anchors) == len(strides) == len(lambda_scales)):
            raise ValueError('in_channels, anchors, strides and lambda_scales need one entry per '
                             f'scale; got {len(in_channels)}, {len(anchors)}, {len(strides)}, '
                             f'{len(lambda_scales)}')
        if assign_conf_method not in ('iou', 'constant'):
            raise ValueError(f"assign_conf_method must be 'iou' or 'constant', "
                             f"got '{assign_conf_method}'")
        self.num_classes = num_classes
        self.num_levels = len(strides)
        self.strides = tuple(strides)
        self.register_buffer('anchors', torch.tensor(anchors, dtype=torch.float32),
                             persistent=False)  # (S, A, 2) w, h pixels
        self.num_anchors = self.anchors.shape[1]
        self.num_attrib = 5 + num_classes
        self.assigner = TASK_UTILS.build(assigner)
        self.bbox_coder = self.build_coder(bbox_coder, wh_decode)
        self.assign_conf_method = assign_conf_method
        if cls_target_on not in ('objectness', 'class'):
            raise ValueError(f"cls_target_on must be 'objectness' or 'class', got "
                             f"{cls_target_on!r}")
        self.cls_target_on = cls_target_on
        self.loss_obj = MODELS.build(loss_obj)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.lambda_obj = lambda_obj
        self.lambda_coord = lambda_coord
        self.lambda_cls = lambda_cls
        self.lambda_noobj = lambda_noobj
        self.lambda_scales = tuple(lambda_scales)
        self.use_noobj_loss = use_noobj_loss
        if loss_normalizer is None:
            loss_normalizer = getattr(self.assigner, 'loss_normalizer', 'mean')
        if loss_normalizer not in self.LOSS_NORMALIZERS:
            raise ValueError(f'loss_normalizer must be one of {self.LOSS_NORMALIZERS}, got '
                             f'{loss_normalizer!r}')
        self.loss_normalizer = loss_normalizer
        if prior_prob is not None and not conv_bias:
            raise ValueError('prior_prob sets the bias of the prediction convs: it needs '
                             'conv_bias=True')
        if prior_prob is not None and not 0 < prior_prob < 1:
            raise ValueError(f'prior_prob must be in (0, 1), got {prior_prob}')
        self.prior_prob = prior_prob
        self.test_cfg = dict(self.DEFAULT_TEST_CFG)
        check_known_keys('YOLOHead test_cfg', test_cfg or {}, self.test_cfg)
        self.test_cfg.update(test_cfg or {})
        self.convs = nn.ModuleList(
            nn.Conv2d(c, self.num_anchors * self.num_attrib, kernel_size=1, bias=conv_bias)
            for c in in_channels)

    def build_coder(self, bbox_coder: Optional[dict], wh_decode: Optional[str]) -> BaseBBoxCoder:
        """Build the box coder and check that it decodes the assigner's reach."""
        return self.coder_for(self.assigner, bbox_coder, wh_decode)

    @classmethod
    def coder_from_config(cls, head_cfg: dict) -> BaseBBoxCoder:
        """The box coder a head built from ``head_cfg`` decodes with, without building
        the head (the exported-model runners compare it with the export's)."""
        defaults = inspect.signature(cls.__init__).parameters
        assigner = TASK_UTILS.build(head_cfg.get('assigner', defaults['assigner'].default))
        return cls.coder_for(assigner, head_cfg.get('bbox_coder', None),
                             head_cfg.get('wh_decode', None))

    @staticmethod
    def coder_for(assigner, bbox_coder: Optional[dict],
                  wh_decode: Optional[str]) -> BaseBBoxCoder:
        """Build ``bbox_coder`` (None: ``assigner.default_coder()`` with ``wh_decode``)
        and check that it decodes ``assigner``'s reach."""
        if bbox_coder is None:
            bbox_coder = assigner.default_coder()
            if wh_decode is not None:
                if 'wh_decode' not in bbox_coder:
                    raise ValueError(f"wh_decode applies to YOLOBBoxCoder; the default coder "
                                     f"of {type(assigner).__name__} is {bbox_coder}")
                bbox_coder['wh_decode'] = wh_decode
        elif wh_decode is not None:
            raise ValueError('wh_decode is a setting of the box coder: give it in bbox_coder '
                             f'(got bbox_coder={bbox_coder} and wh_decode={wh_decode!r})')
        coder = TASK_UTILS.build(bbox_coder)
        if not isinstance(coder, BaseBBoxCoder):
            raise TypeError(f'bbox_coder must build a BaseBBoxCoder, got {type(coder).__name__}')
        reach = assigner.reach
        if not coder.covers(reach):
            need = 'anywhere on the map' if reach is None else f'{reach} cells'
            raise ValueError(
                f'{type(assigner).__name__} gives positives whose GT centre lies '
                f'{need} from the positive cell\'s corner, but the box coder {coder.config()} '
                f'decodes only {coder.reach} cells: those positives could never regress '
                f'their box. Use a coder that reaches it, e.g. bbox_coder='
                f'{assigner.default_coder()}')
        return coder

    def init_weights(self) -> None:
        super().init_weights()
        if self.prior_prob is None:
            return
        prior_bias = -math.log((1 - self.prior_prob) / self.prior_prob)
        for conv in self.convs:
            bias = conv.bias.data.view(self.num_anchors, self.num_attrib)
            bias.zero_()
            bias[:, 0] = prior_bias
            bias[:, 5:] = prior_bias

    # ------------------------------------------------------------------ forward / decode
    @property
    def raw_pred_layout(self) -> tuple[int, int]:
        """(A, D) of the raw prediction maps (B, A, H, W, D): slots per cell, values per
        slot (e.g. random maps for timing the assignment)."""
        return self.num_anchors, self.num_attrib

    def forward(self, feats: Sequence[Tensor]) -> list[Tensor]:
        """Feature maps -> raw predictions, per scale (B, A, H, W, 5 + C)."""
        outs = []
        for feat, conv in zip(feats, self.convs):
            pred = conv(feat)
            batch, _, grid_h, grid_w = pred.shape
            pred = pred.view(batch, self.num_anchors, self.num_attrib, grid_h, grid_w)
            outs.append(pred.permute(0, 1, 3, 4, 2).contiguous())
        return outs

    def decode_boxes(self, raw_xywh: Tensor, grid_xy: Tensor, anchor_wh: Tensor,
                     grid_size: tuple[int, int], stride: int) -> Tensor:
        """Raw box outputs -> boxes (cx, cy, w, h) in network-input pixels, by the
        box coder (``BaseBBoxCoder.decode``).

        Args:
            raw_xywh: (..., 4) raw x, y, w, h outputs.
            grid_xy: (..., 2) column, row of the predicting cell (broadcastable).
            anchor_wh: (..., 2) anchor w, h in pixels (broadcastable).
            grid_size: (H, W) of the map.
            stride: pixels per cell.
        """
        return self.bbox_coder.decode(raw_xywh, grid_xy, anchor_wh, stride, grid_size)

    def decode_level(self, pred: Tensor, level: int) -> Tensor:
        """(B, A, H, W, 5 + C) raw -> (B, A, H, W, 4) boxes cxcywh in input pixels."""
        _, _, grid_h, grid_w, _ = pred.shape
        ys, xs = torch.meshgrid(torch.arange(grid_h, device=pred.device),
                                torch.arange(grid_w, device=pred.device), indexing='ij')
        grid_xy = torch.stack([xs, ys], dim=-1).to(pred.dtype)  # (H, W, 2)
        anchor_wh = self.anchors[level].to(pred.dtype)[:, None, None, :]  # (A, 1, 1, 2)
        return self.decode_boxes(pred[..., 1:5], grid_xy, anchor_wh, (grid_h, grid_w),
                                 self.strides[level])

    # ------------------------------------------------------------------ loss
    def loss(self, feats: Sequence[Tensor], batch_data_samples: Union[dict, list]) -> dict:
        """Forward and compute losses.

        ``batch_data_samples`` is either the data preprocessor's training output,
        ``dict(bboxes_labels=(N, 6) tensor, img_metas=[...])``, or a list of
        DetDataSample with ``gt_instances`` in network-input pixels.
        """
        if isinstance(batch_data_samples, dict):
            gt_bboxes_labels = batch_data_samples['bboxes_labels']
            img_metas = batch_data_samples.get('img_metas', [])
        else:
            gt_bboxes_labels = stack_gt_instances(batch_data_samples).to(feats[0].device)
            img_metas = [s.metainfo for s in batch_data_samples]
        return self.loss_by_feat(self(feats), gt_bboxes_labels, img_metas)

    def assign_level(self, level: int, pred: Union[Tensor, Sequence[int]],
                     with_predictions: bool) -> AssignLevel:
        """What the assigner gets of one scale (``AssignMixin.assign``, the one way to
        assign): this scale's anchors, grid size and stride and, for an assigner that
        declares ``uses_predictions``, every slot's detached decoded box and score
        (objectness x class)."""
        pred_boxes = pred_scores = None
        if with_predictions:
            with torch.no_grad():
                pred = pred.detach().float()
                pred_boxes = self.decode_level(pred, level)
                pred_scores = pred[..., :1].sigmoid() * pred[..., 5:].sigmoid()
        return AssignLevel(self.anchors[level], self.grid_size_of(pred), self.strides[level],
                           pred_boxes, pred_scores)

    def loss_by_feat(self, preds: Sequence[Tensor], gt_bboxes_labels: Tensor,
                     img_metas: Optional[list] = None) -> dict:
        """Losses from raw predictions.

        Args:
            preds: per scale (B, A, H, W, 5 + C) raw predictions.
            gt_bboxes_labels: (N, 6) batch index, label, x1, y1, x2, y2 (input pixels).
            img_metas: per-image meta (unused here; kept for custom heads).

        Returns:
            ``loss_obj``, ``loss_bbox``, ``loss_cls`` (summed over scales with
            ``lambda_scales``; these make the total) and, for logging only, the
            unweighted parts per scale (``obj_s8``, ``bbox_s8``, ``cls_s8``, ...),
            ``num_pos``, ``pos_per_gt`` (mean positives per GT) and ``gts_no_pos`` (share
            of GTs without a positive).
        """
        # losses in fp32 under autocast (bf16 / fp16 outputs; boxes reach ~1500 px);
        # a no-op without autocast
        preds = [pred.float() for pred in preds]
        gt_boxes = xyxy_to_cxcywh(gt_bboxes_labels[:, 2:6].float())
        gt_labels = gt_bboxes_labels[:, 1].long()
        assign_results = self.assign(preds, gt_bboxes_labels)
        total = {'loss_obj': 0.0, 'loss_bbox': 0.0, 'loss_cls': 0.0}
        logs = {}
        # 'mean': each part reduced per scale as configured; otherwise summed per scale
        # here and divided by one batch-wide normaliser below
        summed = self.loss_normalizer != 'mean'
        reduce = dict(reduction='sum') if summed else {}
        level_sums = []  # with summed: per scale (obj, bbox, cls) sums
        score_target_sum = preds[0].new_zeros(())
        box_weight_sum = preds[0].new_zeros(())
        weighted_boxes = False
        num_pos = 0
        pos_iou_sum = preds[0].new_zeros(())
        for level, (pred, result) in enumerate(zip(preds, assign_results)):
            obj_target = torch.zeros_like(pred[..., 0])
            loss_bbox = loss_cls = pred.new_zeros(())
            if result.num_pos:
                num_pos += result.num_pos
                slots = (result.batch_idx, result.anchor_idx, result.grid_y, result.grid_x)
                pos_pred = pred[slots]  # (P, 5 + C)
                grid_xy = torch.stack([result.grid_x, result.grid_y], dim=-1).to(pred.dtype)
                anchor_wh = self.anchors[level][result.anchor_idx].to(pred.dtype)
                pos_boxes = self.decode_boxes(pos_pred[:, 1:5], grid_xy, anchor_wh,
                                              tuple(pred.shape[2:4]), self.strides[level])
                target_boxes = gt_boxes[result.gt_idx].to(pred.dtype)
                if summed:
                    box_weight = (torch.ones_like(target_boxes[:, 0]) if result.box_weight
                                  is None else result.box_weight.to(pred.dtype))
                    weighted_boxes |= result.box_weight is not None
                    box_weight_sum = box_weight_sum + box_weight.sum()
                    loss_bbox = (self.loss_bbox(pos_boxes, target_boxes, reduction='none')
                                 * box_weight).sum()
                elif result.box_weight is None:
                    loss_bbox = self.loss_bbox(pos_boxes, target_boxes)
                else:  # the assigner's weights: a weighted mean
                    box_weight = result.box_weight.to(pred.dtype)
                    loss_bbox = ((self.loss_bbox(pos_boxes, target_boxes, reduction='none')
                                  * box_weight).sum() / box_weight.sum().clamp(min=1e-6))
                with torch.no_grad():
                    iou = broadcast_box_iou(cxcywh_to_xyxy(pos_boxes),
                                            cxcywh_to_xyxy(target_boxes))
                    iou = iou.clamp(0, 1)
                pos_iou_sum = pos_iou_sum + iou.sum()
                if result.obj_target is not None:  # the assigner's quality target
                    pos_obj_target = result.obj_target.to(obj_target.dtype)
                elif self.assign_conf_method == 'iou':
                    pos_obj_target = iou.to(obj_target.dtype)
                else:
                    pos_obj_target = torch.ones_like(iou, dtype=obj_target.dtype)
                cls_on_class = (result.cls_target is not None and self.num_classes > 1
                                and self.cls_target_on == 'class')
                if result.cls_target is not None and not cls_on_class:
                    pos_obj_target = pos_obj_target * result.cls_target.to(obj_target.dtype)
                obj_target[slots] = pos_obj_target
                # the positives' score (objectness x class) targets
                score_target = (pos_obj_target * result.cls_target.to(obj_target.dtype)
                                if cls_on_class else pos_obj_target)
                score_target_sum = score_target_sum + score_target.detach().sum()
                if self.num_classes > 1:
                    cls_target = torch.zeros_like(pos_pred[:, 5:])
                    cls_value = (result.cls_target.to(cls_target.dtype) if cls_on_class
                                 else 1.0)
                    cls_target[torch.arange(result.num_pos), gt_labels[result.gt_idx]] = cls_value
                    loss_cls = self.loss_cls(pos_pred[:, 5:], cls_target, **reduce)
            weight = None
            if self.use_noobj_loss:
                weight = torch.where(obj_target > 0, 1.0, self.lambda_noobj).to(obj_target)
            loss_obj = self.loss_obj(pred[..., 0], obj_target, weight=weight, **reduce)
            if summed:
                level_sums.append((loss_obj, loss_bbox, loss_cls))
                continue
            self._add_level_losses(total, logs, level, loss_obj, loss_bbox, loss_cls)
        if summed:
            if self.loss_normalizer == 'num_pos':
                norm = preds[0].new_tensor(float(max(num_pos, 1)))
                box_norm = box_weight_sum.clamp(min=1e-6) if weighted_boxes else norm
            else:  # 'target_sum'
                norm = box_norm = score_target_sum.clamp(min=1.0)
            for level, (loss_obj, loss_bbox, loss_cls) in enumerate(level_sums):
                self._add_level_losses(total, logs, level, loss_obj / norm, loss_bbox / box_norm,
                                       loss_cls / norm)
        logs['num_pos'] = torch.tensor(float(num_pos), device=preds[0].device)
        # mean IoU of the positives' decoded boxes with their GTs (how well they regress)
        logs['pos_iou'] = (pos_iou_sum / max(num_pos, 1)).detach()
        # assignment statistics of the batch, for logs (and assigner_sweep.py)
        pos_per_gt = torch.bincount(torch.cat([r.gt_idx for r in assign_results]),
                                    minlength=gt_labels.numel())
        logs['pos_per_gt'] = pos_per_gt.float().mean().nan_to_num(0.0)
        logs['gts_no_pos'] = (pos_per_gt == 0).float().mean().nan_to_num(0.0)
        return {**total, **logs}

    def _add_level_losses(self, total: dict, logs: dict, level: int, loss_obj: Tensor,
                          loss_bbox: Tensor, loss_cls: Tensor) -> None:
        """Add one scale's (normalised) parts to ``total`` with their weights and log them
        unweighted per scale (``obj_s8``, ``bbox_s8``, ``cls_s8``, ...)."""
        scale_weight = self.lambda_scales[level]
        total['loss_obj'] = total['loss_obj'] + scale_weight * self.lambda_obj * loss_obj
        total['loss_bbox'] = total['loss_bbox'] + scale_weight * self.lambda_coord * loss_bbox
        total['loss_cls'] = total['loss_cls'] + scale_weight * self.lambda_cls * loss_cls
        stride = self.strides[level]
        logs[f'obj_s{stride}'] = loss_obj.detach()
        logs[f'bbox_s{stride}'] = loss_bbox.detach()
        logs[f'cls_s{stride}'] = loss_cls.detach()

    # ------------------------------------------------------------------ predict
    def predict(self, feats: Sequence[Tensor], batch_data_samples: list,
                rescale: bool = True) -> list[InstanceData]:
        img_metas = [s.metainfo for s in batch_data_samples]
        return self.predict_by_feat(self(feats), img_metas, rescale=rescale)

    def decode_preds(self, preds: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        """Raw predictions -> every slot's box and class scores.

        Returns:
            boxes (B, M, 4) xyxy in network-input pixels and scores (B, M, C) =
            sigmoid(objectness) * sigmoid(class logit); M = sum over scales of A * H * W.
        """
        batch = preds[0].shape[0]
        boxes, scores = [], []
        for level, pred in enumerate(preds):
            boxes.append(self.decode_level(pred, level).reshape(batch, -1, 4))
            obj = pred[..., 0].sigmoid().reshape(batch, -1, 1)
            scores.append(obj * pred[..., 5:].sigmoid().reshape(batch, -1, self.num_classes))
        return cxcywh_to_xyxy(torch.cat(boxes, dim=1)), torch.cat(scores, dim=1)

    def predict_by_feat(self, preds: Sequence[Tensor], batch_img_metas: list,
                        rescale: bool = True, cfg: Optional[dict] = None) -> list[InstanceData]:
        """Decode, score (:meth:`decode_preds`), then NMS and rescale
        (``post_processing``: :meth:`nms`, :meth:`predict_from_boxes` of the mixin).

        Returns:
            Per image an InstanceData with ``bboxes`` (m, 4) xyxy (original-image pixels
            when ``rescale``, else network-input pixels), ``scores`` (m,), ``labels`` (m,).
        """
        boxes, scores = self.decode_preds(preds)
        return self.predict_from_boxes(boxes, scores, batch_img_metas, rescale, cfg)
