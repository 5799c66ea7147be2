"""Normalise and batch images; in training, batch the GT boxes into one tensor."""
from typing import Optional

import torch
from mmengine.model import ImgDataPreprocessor

from yolo_toolbox.registry import MODELS
from yolo_toolbox.structures import stack_gt_instances


@MODELS.register_module()
class YOLODataPreprocessor(ImgDataPreprocessor):
    """Turn a collated batch into the network input; in training, batch the GT too.

    The image part is mmengine's :class:`ImgDataPreprocessor`, in this order: move the
    data to the model's device; per image, swap BGR to RGB (``bgr_to_rgb``), cast to
    float32 and normalise as ``(x - mean) / std``; pad each image at the bottom and right
    to a multiple of ``pad_size_divisor`` with ``pad_value`` (padding comes after the
    normalisation, so ``pad_value=0`` is the mean colour); stack into an (N, 3, H, W)
    tensor. The defaults are the ImageNet mean and std in 0-255 pixel units; the YOLOv8
    configs pass ``mean=0, std=255`` (pixels scaled to 0-1).

    ``data_samples``: in training it becomes ``dict(bboxes_labels=..., img_metas=...)``,
    where ``bboxes_labels`` is the (N_gt, 6) float tensor of
    :func:`~yolo_toolbox.structures.stack_gt_instances` (batch index, label, x1, y1,
    x2, y2 in network-input pixels; ignored instances left out) on the inputs' device
    and ``img_metas`` the list of each sample's metainfo. Outside training it stays the
    list of :class:`DetDataSample`, only moved to the device.

    Args:
        mean, std: per-channel normalisation, in the channel order after ``bgr_to_rgb``;
            ``None`` for both skips the normalisation.
        bgr_to_rgb: reverse the channel order (the loaders read BGR with OpenCV).
        pad_size_divisor: the padded height and width are multiples of it.
        pad_value: the value of the padded pixels, in normalised units.
        channels_last: give the batch in ``torch.channels_last`` memory format (same
            values, NHWC strides). Convolutions follow their input's format, so the whole
            network then runs NHWC (faster with AMP on GPUs, and for the bf16 autocast on
            CPUs). Parameters, their gradients and checkpoints keep the default format, so
            EMA, DDP and checkpoints are unaffected. Off by default here; the model
            configs under ``configs/_base_/models`` turn it on, and so does ``--amp`` on a
            CPU-only machine (:func:`yolo_toolbox.engine.launch.setup_amp`) when the
            config does not set it.
        **kwargs: passed on to :class:`ImgDataPreprocessor` (e.g. ``non_blocking``).
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
