"""GT batches from a config's training set, as the assigner sees them in training.

A batch holds what the data preprocessor gives the head in training for a few images:
``(N, 6)`` GT rows ``[batch_idx, label, x1, y1, x2, y2]`` in network-input pixels and
the padded input size, from which the grid of every scale follows. No network is built.
"""
import copy
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

import numpy as np
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import set_random_seed
from mmengine.utils import ProgressBar
from torch import Tensor
from torch.utils.data import DataLoader, Subset

from yolo_toolbox.registry import DATASETS, MODELS
from yolo_toolbox.structures import stack_gt_instances
from yolo_toolbox.utils import load_config  # noqa: F401  (re-exported for the tools)


@dataclass
class GTBatch:
    """GT of a few images in network-input pixels.

    Attributes:
        bboxes_labels: (N, 6) float, columns batch index, label, x1, y1, x2, y2 (pixels).
        input_hw: (H, W) of the batched (padded) network input.
        img_metas: per-image metainfo (``img_id``, ``img_path``, ...).
        images_bgr: per image (H, W, 3) uint8 BGR network input padded to ``input_hw``,
            or None when the images were not kept.
    """
    bboxes_labels: Tensor
    input_hw: tuple[int, int]
    img_metas: list
    images_bgr: Optional[list] = None

    @property
    def num_images(self) -> int:
        return len(self.img_metas)


def find_img_scale(cfg: Config) -> tuple[int, int]:
    """(W, H) of the network input: the ``Letterbox`` scale of the training pipeline,
    else the config's top-level ``img_scale``."""
    for transform in _train_pipeline(cfg.train_dataloader.dataset) or []:
        if isinstance(transform, dict) and transform.get('type') == 'Letterbox':
            return tuple(int(v) for v in transform['scale'])
    if cfg.get('img_scale') is not None:
        return tuple(int(v) for v in cfg.img_scale)
    raise ValueError('cannot tell the input size: the training pipeline has no Letterbox and '
                     'the config no img_scale; add one of them')


def no_aug_pipeline(img_scale: tuple[int, int]) -> list[dict]:
    """Load, letterbox to ``img_scale`` (W, H) and pack: GT in network-input pixels,
    without any augmentation (the training pipeline minus its random transforms)."""
    return [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='Letterbox', scale=img_scale), dict(type='PackDetInputs')]


def _train_pipeline(dataset_cfg: dict) -> Optional[list]:
    if 'pipeline' in dataset_cfg:
        return dataset_cfg['pipeline']
    inner = dataset_cfg.get('dataset') or (dataset_cfg.get('datasets') or [None])[0]
    return _train_pipeline(inner) if inner else None


def _set_pipeline(dataset_cfg: dict, pipeline: list) -> None:
    """Replace the pipeline of a dataset config, through wrappers (Concat, Repeat...)."""
    if 'dataset' in dataset_cfg:
        _set_pipeline(dataset_cfg['dataset'], pipeline)
    elif 'datasets' in dataset_cfg:
        for inner in dataset_cfg['datasets']:
            _set_pipeline(inner, pipeline)
    else:
        dataset_cfg['pipeline'] = pipeline


def build_train_dataset(cfg: Config, no_aug: bool = False):
    """The config's training dataset; with ``no_aug`` its pipeline becomes
    :func:`no_aug_pipeline` (load, letterbox, pack)."""
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    if no_aug:
        _set_pipeline(dataset_cfg, no_aug_pipeline(find_img_scale(cfg)))
    return DATASETS.build(dataset_cfg)


def iter_gt_batches(cfg: Config, num_images: Optional[int] = None, no_aug: bool = False,
                    batch_size: int = 8, num_workers: int = 0, keep_images: bool = False,
                    seed: int = 0, dataset=None, progress: bool = False) -> Iterator[GTBatch]:
    """Run the first ``num_images`` training images (all when None) through the training
    pipeline (or the letterbox-only one with ``no_aug``), ``batch_size`` at a time, and
    batch them as the data preprocessor does in training: GT rows of all images in one
    (N, 6) tensor (:func:`stack_gt_instances`), images padded bottom/right to the
    preprocessor's ``pad_size_divisor`` (the images themselves are not normalised).

    Args:
        cfg: a full config (``train_dataloader.dataset``, ``model.data_preprocessor``).
        dataset: an already built dataset to use instead of the config's.
        seed: random seed of the augmentations (the same seed gives the same batches).
        progress: show mmengine's ``ProgressBar`` (batches done / total, ETA); a batch
            counts as done when the consumer asks for the next one.
    """
    set_random_seed(seed)
    if dataset is None:
        dataset = build_train_dataset(cfg, no_aug)
    total = len(dataset) if num_images is None else min(num_images, len(dataset))
    loader = DataLoader(Subset(dataset, range(total)), batch_size=batch_size, shuffle=False,
                        num_workers=num_workers, collate_fn=pseudo_collate)
    divisor = int(getattr(MODELS.build(cfg.model.data_preprocessor), 'pad_size_divisor', 1))
    bar = ProgressBar(len(loader), file=sys.stdout) if progress else None
    for data in loader:
        images = [img.permute(1, 2, 0).numpy() for img in data['inputs']]  # (h, w, 3) BGR
        max_h, max_w = (max(img.shape[i] for img in images) for i in (0, 1))
        input_hw = (math.ceil(max_h / divisor) * divisor, math.ceil(max_w / divisor) * divisor)
        yield GTBatch(stack_gt_instances(data['data_samples']).float(), input_hw,
                      [s.metainfo for s in data['data_samples']],
                      [_pad_to(img, input_hw) for img in images] if keep_images else None)
        if bar is not None:
            bar.update()
    if bar is not None:
        print()  # end the progress bar's line


def _pad_to(image: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Bottom/right zero-pad (as the preprocessor does) an (h, w, 3) uint8 image."""
    out = np.zeros((*size_hw, image.shape[2]), dtype=np.uint8)
    h, w = min(image.shape[0], size_hw[0]), min(image.shape[1], size_hw[1])
    out[:h, :w] = image[:h, :w]
    return out
