"""YOLOTTAModel: test-time augmentation as a test-time model, in mmengine's way.

The test dataloader's pipeline (the config's ``tta_pipeline``, see
``yolo_toolbox.datasets.transforms.tta``) gives every image once per pass, each copy
naming its pass in the metainfo (``tta_scale``, ``tta_flip``); mmengine's
``BaseTTAModel.test_step`` splits the batch into one batch per pass. Each pass runs the
wrapped detector on the preprocessed batch resized by its scale (rounded up to a multiple
of ``size_divisor``) and flipped, and keeps every slot's decoded box, mapped back to the
un-augmented input's frame, with its class scores (before NMS). :meth:`merge_preds` merges
the passes with ``post_processing.merge_tta_passes`` as ``merge_mode`` says. The detector itself
holds no TTA logic.

``tools/test.py --tta`` builds it: ``cfg.model = dict(**cfg.tta_model, module=cfg.model)``
and ``cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline``.
"""
import math
from typing import Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseTTAModel
from mmengine.structures import InstanceData
from torch import Tensor, nn

from yolo_toolbox.models.dense_heads.post_processing import merge_tta_passes
from yolo_toolbox.registry import MODELS

MERGE_MODES = ('fuse', 'nms')


@MODELS.register_module()
class YOLOTTAModel(BaseTTAModel):
    """Runs a detector on every test-time-augmentation pass and merges the passes.

    Args:
        module: the detector (config or module), e.g. ``YOLODetector``; it needs
            ``data_preprocessor``, ``extract_feat`` and a ``bbox_head`` with
            ``decode_preds``, ``num_classes`` and ``test_cfg``.
        merge_mode: how the passes become one answer (``post_processing.merge_tta_passes``):
            ``'fuse'`` (default; ``post_processing.fuse_pass_detections``) runs the head's
            NMS on each pass, then fuses the detections of one object across passes into
            one box (score-weighted mean) whose score is the mean over the passes of their
            best score for it (0 for a pass that missed it); ``'nms'`` puts the boxes of
            all passes through one NMS together (YOLOv5's ``--augment``; the top
            ``nms_pre`` enter it).
        size_divisor: a scaled input's sides are rounded up to a multiple of this (the
            network's largest stride).
        data_preprocessor: replaces the detector's (mmengine's ``BaseTTAModel``).
    """

    def __init__(self, module: Union[dict, nn.Module], merge_mode: str = 'fuse',
                 size_divisor: int = 32, data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"merge_mode must be 'fuse' or 'nms', got {merge_mode!r}")
        if size_divisor < 1:
            raise ValueError(f'size_divisor must be >= 1, got {size_divisor}')
        self.merge_mode = merge_mode
        self.size_divisor = int(size_divisor)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        """One batch per pass (as ``BaseTTAModel.test_step`` splits it), each through
        :meth:`pass_candidates`; then :meth:`merge_preds`."""
        if isinstance(data, dict):
            num_passes = len(data[next(iter(data))])
            per_pass = [{key: value[idx] for key, value in data.items()}
                        for idx in range(num_passes)]
        elif isinstance(data, (tuple, list)):
            per_pass = [[item[idx] for item in data] for idx in range(len(data[0]))]
        else:
            raise TypeError(f'test data must be a dict, tuple or list, got {type(data)}')
        predictions = [self.pass_candidates(pass_data) for pass_data in per_pass]
        return self.merge_preds(list(zip(*predictions)))

    def pass_candidates(self, data: Union[dict, tuple, list]) -> list:
        """One pass of a batch: preprocess, run the detector on the input scaled and
        flipped as the samples' ``tta_scale`` / ``tta_flip`` say (default 1.0 / False),
        and put on each sample ``tta_candidates``: an InstanceData of every slot's
        ``bboxes`` (M, 4) xyxy in the frame of the un-augmented input and ``scores`` (M, C)."""
        data = self.module.data_preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        passes = {(float(s.metainfo.get('tta_scale', 1.0)), bool(s.metainfo.get('tta_flip', False)))
                  for s in samples}
        if len(passes) != 1:
            raise ValueError(f'one batch of a TTA pass mixes passes {sorted(passes)}')
        scale, flip = passes.pop()
        boxes, scores = self.run_pass(inputs, scale, flip)
        for i, sample in enumerate(samples):
            sample.tta_candidates = InstanceData(bboxes=boxes[i], scores=scores[i])
        return samples

    def run_pass(self, inputs: Tensor, scale: float, flip: bool) -> tuple[Tensor, Tensor]:
        """The detector on ``inputs`` (B, 3, H, W) resized by ``scale`` (bilinear, each
        side rounded up to a multiple of ``size_divisor``) and flipped left-right when
        ``flip``: every slot's box (B, M, 4) xyxy mapped back to the pixels of
        ``inputs``, and its class scores (B, M, C)."""
        detector, divisor = self.module, self.size_divisor
        height, width = inputs.shape[-2:]
        new_h = max(divisor, math.ceil(height * scale / divisor) * divisor)
        new_w = max(divisor, math.ceil(width * scale / divisor) * divisor)
        scaled = inputs if (new_h, new_w) == (height, width) else F.interpolate(
            inputs, size=(new_h, new_w), mode='bilinear', align_corners=False)
        x = scaled.flip(-1) if flip else scaled
        head = detector.bbox_head
        boxes, scores = head.decode_preds(head(detector.extract_feat(x)))
        if flip:  # x1' = W - x2, x2' = W - x1
            boxes = torch.stack([new_w - boxes[..., 2], boxes[..., 1],
                                 new_w - boxes[..., 0], boxes[..., 3]], dim=-1)
        return boxes * inputs.new_tensor([width / new_w, height / new_h] * 2), scores

    def merge_preds(self, data_samples_list: list) -> list:
        """Per image its passes (``tta_candidates``) -> the image's first sample with
        ``pred_instances`` (original-image pixels), by ``merge_tta_passes`` over the whole
        batch at once (as one NMS call per pass, the plain test's way)."""
        num_passes = len(data_samples_list[0])
        pass_boxes = [torch.stack([samples[p].tta_candidates.bboxes
                                   for samples in data_samples_list]) for p in range(num_passes)]
        pass_scores = [torch.stack([samples[p].tta_candidates.scores
                                    for samples in data_samples_list])
                       for p in range(num_passes)]
        head = self.module.bbox_head
        merged = merge_tta_passes(pass_boxes, pass_scores,
                                  [samples[0].metainfo for samples in data_samples_list],
                                  head.num_classes, head.test_cfg, self.merge_mode)
        results = []
        for samples, pred in zip(data_samples_list, merged):
            sample = samples[0]
            del sample.tta_candidates
            sample.pred_instances = pred
            results.append(sample)
        return results
