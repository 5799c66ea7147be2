"""Normalise and batch images; in training, batch the GT boxes into one tensor."""
from typing import Optional

import torch
from mmengine.model import ImgDataPreprocessor

from yolo_toolbox.registry import MODELS
from yolo_toolbox.structures import stack_gt_instances


@MODELS.register_module()
class YOLODataPreprocessor(ImgDataPreprocessor):
    """mmengine's :class:`ImgDataPreprocessor` (cast, move to device, BGR->RGB,
    normalise with ImageNet mean/std, stack) plus GT batching.

    In training, ``data_samples`` becomes ``dict(bboxes_labels=(N, 6) tensor,
    img_metas=[metainfo, ...])`` with columns batch index, label, x1, y1, x2, y2
    (network-input pixels); otherwise it stays the list of DetDataSample.

    Args:
        channels_last: give the batch in ``torch.channels_last`` memory format (same
            values, NHWC strides). Convolutions follow their input's format, so the
            whole network then runs NHWC (faster with AMP on GPUs; parameters, their
            gradients and checkpoints keep the default format, so EMA, DDP and
            checkpoints are unaffected). ``tools/train.py`` turns it on for CUDA runs
            (``env_cfg.channels_last`` / ``--no-gpu-speedups`` to keep the config's).
    """

    def __init__(self, mean: Optional[tuple] = (123.675, 116.28, 103.53),
                 std: Optional[tuple] = (58.395, 57.12, 57.375), bgr_to_rgb: bool = True,
                 pad_size_divisor: int = 32, pad_value: float = 0,
                 channels_last: bool = False, **kwargs) -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb,
                         pad_size_divisor=pad_size_divisor, pad_value=pad_value, **kwargs)
        self.channels_last = channels_last

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        if self.channels_last:
            data['inputs'] = data['inputs'].contiguous(memory_format=torch.channels_last)
        if training:
            samples = data['data_samples']
            data['data_samples'] = dict(
                bboxes_labels=stack_gt_instances(samples).to(data['inputs'].device),
                img_metas=[s.metainfo for s in samples])
        return data
