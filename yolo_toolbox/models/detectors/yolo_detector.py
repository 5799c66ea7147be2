"""YOLODetector: glue between backbone, neck and head; holds no detection logic."""
import math
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from yolo_toolbox.models.dense_heads.post_processing import fuse_pass_detections, merge_tta_passes
from yolo_toolbox.registry import MODELS

# fuse_pass_detections: its old home (it is post_processing's now)
__all__ = ['YOLODetector', 'fuse_pass_detections']


@MODELS.register_module()
class YOLODetector(BaseModel):
    """One-stage detector: ``backbone -> neck -> bbox_head``.

    Modes of :meth:`forward` (mmengine's convention):

    - ``'loss'``: dict of losses (``data_samples`` from the data preprocessor: training
      dict with ``bboxes_labels`` (N, 6), or a list of DetDataSample).
    - ``'predict'``: the input DetDataSamples with ``pred_instances`` (original-image
      pixels) filled in.
    - ``'tensor'``: raw head outputs, per scale (B, A, H, W, 5 + C).

    Args:
        backbone, neck, bbox_head: module configs (MODELS).
        data_preprocessor: config of the data preprocessor.
        tta_cfg: test-time augmentation of ``'predict'`` (None: off), e.g.
            ``dict(scales=(0.83, 1.0, 1.17), flip=True)``: the batch is run at each scale
            (the input resized by that factor, rounded up to a multiple of ``size_divisor``,
            default 32), and flipped left-right too when ``flip``, the decoded boxes of
            each pass mapped back to the input's frame. ``merge`` says how the passes
            become one answer (``post_processing.merge_tta_passes``): ``'fuse'`` (default;
            ``post_processing.fuse_pass_detections``) runs the head's NMS on each pass,
            then fuses the detections of one object across passes into one box
            (score-weighted mean) whose score is the mean over the passes of their best
            score for it (0 for a pass that missed it); ``'nms'`` puts the boxes of all
            passes through one NMS together (YOLOv5's ``--augment``; the top ``nms_pre``
            enter it). ``tools/test.py --tta`` sets it.
    """

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict,
                 data_preprocessor: Optional[dict] = None,
                 tta_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.tta_cfg = dict(tta_cfg) if tta_cfg else None
        if self.tta_cfg:
            unknown = set(self.tta_cfg) - {'scales', 'flip', 'size_divisor', 'merge'}
            if unknown:
                raise ValueError(f'tta_cfg: unknown keys {sorted(unknown)}; '
                                 "expected 'scales', 'flip', 'size_divisor', 'merge'")
            if self.tta_cfg.get('merge', 'fuse') not in ('fuse', 'nms'):
                raise ValueError(f"tta_cfg['merge'] must be 'fuse' or 'nms', "
                                 f"got {self.tta_cfg['merge']!r}")
            if not self.tta_cfg.get('scales') or min(self.tta_cfg['scales']) <= 0:
                raise ValueError(f"tta_cfg['scales'] must be positive factors, "
                                 f"got {self.tta_cfg.get('scales')}")
        self.backbone = MODELS.build(backbone)
        if 'in_channels' not in neck:
            neck = {**neck, 'in_channels': self.backbone.out_channels}
        self.neck = MODELS.build(neck)
        if 'in_channels' not in bbox_head:
            bbox_head = {**bbox_head, 'in_channels': self.neck.out_channels}
        self.bbox_head = MODELS.build(bbox_head)
        if getattr(self.data_preprocessor, 'channels_last', False):
            # NHWC batches: NHWC conv weights too, before DDP wraps the model (its gradient
            # buckets follow the parameters' layout); values and state_dict keys unchanged
            self.to(memory_format=torch.channels_last)

    def extract_feat(self, inputs: Tensor) -> tuple[Tensor, ...]:
        """(B, 3, H, W) normalised images -> neck feature maps, small stride first."""
        return self.neck(self.backbone(inputs))

    def forward(self, inputs: Tensor, data_samples: Union[dict, list, None] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.bbox_head.loss(self.extract_feat(inputs), data_samples)
        if mode == 'predict':
            if self.tta_cfg:
                results = self.predict_tta(inputs, data_samples, **self.tta_cfg)
            else:
                results = self.bbox_head.predict(self.extract_feat(inputs), data_samples)
            for sample, pred in zip(data_samples, results):
                sample.pred_instances = pred
            return data_samples
        if mode == 'tensor':
            return self.bbox_head(self.extract_feat(inputs))
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got '{mode}'")

    def predict_tta(self, inputs: Tensor, data_samples: list,
                    scales: Sequence[float] = (1.0, ), flip: bool = True,
                    size_divisor: int = 32, merge: str = 'fuse') -> list:
        """Test-time augmentation: every (scale, flip) pass is decoded, its boxes mapped
        back to the frame of ``inputs``; the passes are merged by
        ``post_processing.merge_tta_passes`` as ``merge`` says (see the class's
        ``tta_cfg``)."""
        height, width = inputs.shape[-2:]
        all_boxes, all_scores = [], []
        for factor in scales:
            new_h = max(size_divisor, math.ceil(height * factor / size_divisor) * size_divisor)
            new_w = max(size_divisor, math.ceil(width * factor / size_divisor) * size_divisor)
            scaled = inputs if (new_h, new_w) == (height, width) else F.interpolate(
                inputs, size=(new_h, new_w), mode='bilinear', align_corners=False)
            back = inputs.new_tensor([width / new_w, height / new_h] * 2)
            for flipped in ((False, True) if flip else (False, )):
                x = scaled.flip(-1) if flipped else scaled
                boxes, scores = self.bbox_head.decode_preds(self.bbox_head(self.extract_feat(x)))
                if flipped:  # x1' = W - x2, x2' = W - x1
                    boxes = torch.stack([new_w - boxes[..., 2], boxes[..., 1],
                                         new_w - boxes[..., 0], boxes[..., 3]], dim=-1)
                all_boxes.append(boxes * back)
                all_scores.append(scores)
        head = self.bbox_head
        return merge_tta_passes(all_boxes, all_scores, [s.metainfo for s in data_samples],
                                head.num_classes, head.test_cfg, merge)
