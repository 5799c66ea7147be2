"""A deployable view of a YOLODetector: normalise, network, decode (and optionally NMS).

Used by :mod:`yolo_toolbox.deployment` (``tools/deployment/``); everything here traces
into an ONNX graph (``torch.onnx.export(..., dynamo=False)``). Decoding and NMS are the head's own
(:meth:`YOLOHead.decode_preds`; ``nms`` is ``post_processing.batched_nms`` with the
head's ``test_cfg``), so an exported model decodes exactly as the model it came from.

:func:`fuse_conv_bn` folds every BatchNorm into the conv before it, for inference
(eager or exported): one conv instead of conv + BN, same outputs up to float rounding.
"""
import copy
from typing import Optional

from mmcv.cnn import fuse_conv_bn as _mmcv_fuse_conv_bn
from torch import Tensor, nn


def fuse_conv_bn(model: nn.Module) -> nn.Module:
    """Fold each BatchNorm into the Conv2d registered just before it, in place.

    ``w' = w * gamma / sqrt(var + eps)``, ``b' = (b - mean) * gamma / sqrt(var + eps) +
    beta``; the BN becomes ``nn.Identity``. Uses the running statistics, so the result
    is for inference only (``model.eval()`` is called). A conv-BN pair is recognised by
    registration order inside a module (mmcv's rule), which holds for mmcv's
    ``ConvModule``, torchvision's ResNet blocks and every block of this toolbox; for a
    module of your own, compare outputs before and after (tests/test_models/
    test_detectors/test_export.py does it for the backbones here).

    Returns ``model`` with fewer parameters: load checkpoints before fusing, never after.
    """
    model.eval()
    return _mmcv_fuse_conv_bn(model)


class YOLOExportModel(nn.Module):
    """Detector -> ``(boxes, scores)`` or, with ``with_nms``, ``dets``.

    Input ``images``: float32 (B, 3, H, W) letterboxed images in **BGR, 0-255** (the
    pipeline's packed input as float); the data preprocessor's channel swap and
    mean / std normalisation are part of the graph. H, W must be multiples of the
    largest stride (32).

    Outputs without NMS:
        ``boxes`` (B, M, 4) x1, y1, x2, y2 in network-input pixels and ``scores``
        (B, M, C) = sigmoid(objectness) * sigmoid(class logit), M = sum over scales
        of A * H_s * W_s.

    Output with NMS (same rule as :meth:`YOLOHead.predict_by_feat`: top ``nms_pre``
    per image by max class score, ``score_thr``, class-aware NMS per image at
    ``nms_iou_thr``, at most ``max_per_img`` per image):
        ``dets`` (K, 7): batch index, x1, y1, x2, y2 (network-input pixels), score,
        label; sorted by score (descending) over the whole batch.

    Args:
        detector: a :class:`YOLODetector` (eval mode).
        with_nms: append NMS (exports to ONNX ``NonMaxSuppression``).
        test_cfg: overrides of the head's ``test_cfg`` for the NMS.
        fuse_bn: fold BatchNorm into the convs (:func:`fuse_conv_bn`) of a copy of
            ``detector`` (the detector passed in is left as it is).
    """

    def __init__(self, detector: nn.Module, with_nms: bool = False,
                 test_cfg: Optional[dict] = None, fuse_bn: bool = False) -> None:
        super().__init__()
        if fuse_bn:
            detector = fuse_conv_bn(copy.deepcopy(detector))
        self.detector = detector
        self.head = detector.bbox_head
        self.with_nms = with_nms
        self.test_cfg = {**self.head.test_cfg, **(test_cfg or {})}
        preprocessor = detector.data_preprocessor
        self.bgr_to_rgb = bool(getattr(preprocessor, '_channel_conversion', False))
        self._enable_normalize = bool(getattr(preprocessor, '_enable_normalize', False))
        if self._enable_normalize:
            self.register_buffer('mean', preprocessor.mean.clone().float(), persistent=False)
            self.register_buffer('std', preprocessor.std.clone().float(), persistent=False)

    def normalise(self, images: Tensor) -> Tensor:
        """(B, 3, H, W) BGR 0-255 -> what the backbone expects."""
        if self.bgr_to_rgb:
            images = images[:, [2, 1, 0]]
        if self._enable_normalize:
            images = (images - self.mean) / self.std
        return images

    def forward(self, images: Tensor) -> tuple[Tensor, ...]:
        preds = self.detector(self.normalise(images), mode='tensor')
        boxes, scores = self.head.decode_preds(preds)
        if self.with_nms:
            return (self.head.nms(boxes, scores, self.test_cfg), )
        return boxes, scores
