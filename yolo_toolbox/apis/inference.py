"""Inference for scripts and notebooks: build a detector from a config and run it on images.

    from yolo_toolbox.apis import init_detector, inference_detector
    model = init_detector('configs/yolo_r18_nearby.py', 'work_dirs/yolo_r18_nearby/best.pth')
    result = inference_detector(model, 'demo.jpg')       # a DetDataSample
    result.pred_instances.bboxes                          # (m, 4) xyxy, original-image pixels

Checkpoints written by mmengine's ``EMAHook`` already hold the EMA weights under
``state_dict`` (the hook swaps them in at save time and keeps the raw weights in
``ema_state_dict``), so loading ``state_dict`` gives the weights validation used.
"""
import copy
import logging
import os
import os.path as osp
from collections.abc import Sequence
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader, load_state_dict
from torch import nn

from yolo_toolbox.registry import DATASETS, MODELS, TRANSFORMS
from yolo_toolbox.structures import DetDataSample
from yolo_toolbox.utils.checkpoint_fit import checkpoint_mismatch, mismatch_error

ImageType = Union[str, os.PathLike, np.ndarray]
# pipeline steps that read files or annotations; inference supplies the image itself
_LOADING_STEPS = ('LoadImageFromFile', 'LoadAnnotations')


def _test_dataset_cfg(cfg: Config) -> dict:
    """The dataset config of ``test_dataloader`` (unwrapping ``dataset=dict(dataset=...)``)."""
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if not loader or 'dataset' not in loader:
        raise KeyError('the config has no test_dataloader.dataset; inference needs its '
                       'pipeline (LoadImageFromFile, Letterbox, PackDetInputs)')
    dataset = loader['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset


def dataset_meta_from_config(cfg: Config, num_classes: int) -> dict:
    """Class names for ``num_classes`` from the config, without reading any data.

    Order: ``metainfo.classes`` of the test (then train) dataset config; the dataset
    class's ``METAINFO`` (e.g. the 20 VOC classes); ``class_0 ... class_{C-1}``. A
    candidate is only taken when its length is ``num_classes``.
    """
    candidates = []
    for key in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(key) or {}).get('dataset') or {}
        while 'dataset' in dataset and 'metainfo' not in dataset:
            dataset = dataset['dataset']
        if (dataset.get('metainfo') or {}).get('classes'):
            candidates.append(tuple(dataset['metainfo']['classes']))
        dataset_cls = DATASETS.get(dataset['type']) if 'type' in dataset else None
        if dataset_cls is not None and getattr(dataset_cls, 'METAINFO', {}).get('classes'):
            candidates.append(tuple(dataset_cls.METAINFO['classes']))
    for classes in candidates:
        if len(classes) == num_classes:
            return dict(classes=classes)
    if num_classes == 20:
        from yolo_toolbox.datasets import VOC_CLASSES
        return dict(classes=tuple(VOC_CLASSES))
    return dict(classes=tuple(f'class_{i}' for i in range(num_classes)))


def init_detector(config: Union[str, os.PathLike, Config], checkpoint: Optional[str] = None,
                  device: Optional[str] = None, cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a detector from a config, load a checkpoint, and put it in eval mode.

    Args:
        config: config file path or :class:`~mmengine.config.Config`.
        checkpoint: checkpoint path (mmengine format or a bare state_dict); ``None``
            keeps the initial weights (tests, FLOPs, export checks).
        device: torch device, e.g. ``'cpu'`` or ``'cuda:0'``; ``None``: ``'cuda:0'`` when
            CUDA is available, else ``'cpu'``.
        cfg_options: overrides merged into the config (``{'model.bbox_head.num_classes': 3}``).

    Returns:
        The model, with ``model.cfg`` (the config) and ``model.dataset_meta``
        (``classes``: from the checkpoint's ``meta.dataset_meta`` if it has the head's
        class count, otherwise from the config, see :func:`dataset_meta_from_config`).
    """
    from yolo_toolbox.utils import load_config
    cfg = load_config(config, cfg_options)
    model_cfg = copy.deepcopy(cfg.model)
    if checkpoint is not None and 'pretrained' in model_cfg.get('backbone', {}):
        model_cfg.backbone.pretrained = None  # the checkpoint holds every weight
    model = MODELS.build(model_cfg)
    num_classes = model.bbox_head.num_classes

    dataset_meta = None
    if checkpoint is not None:
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
        problem = checkpoint_mismatch(model, state, ckpt.get('meta'))
        if problem:
            raise mismatch_error(checkpoint, problem,
                                 'train with load_from and CheckpointFitHook(skip_prefixes=...) '
                                 '(docs/robustness.md)')
        load_state_dict(model, {k[len('module.'):] if k.startswith('module.') else k: v
                                for k, v in state.items()}, strict=True)
        meta = (ckpt.get('meta') or {}) if isinstance(ckpt, dict) else {}
        ckpt_meta = meta.get('dataset_meta') or {}
        if len(ckpt_meta.get('classes', ())) == num_classes:
            dataset_meta = dict(ckpt_meta)
        elif ckpt_meta.get('classes'):
            print_log(f'checkpoint meta has {len(ckpt_meta["classes"])} classes but the head '
                      f'predicts {num_classes}; using class names from the config',
                      logger='current', level=logging.WARNING)
    model.dataset_meta = dataset_meta or dataset_meta_from_config(cfg, num_classes)
    model.cfg = cfg
    if device is None:
        device = 'cuda:0' if torch.cuda.is_available() else 'cpu'
    model.to(device)
    model.eval()
    return model


def build_test_pipeline(cfg: Config, from_ndarray: bool = False) -> Compose:
    """The config's test pipeline without ``LoadAnnotations`` (inference has no GT).

    With ``from_ndarray`` the ``LoadImageFromFile`` step is dropped too: the input is
    then ``dict(img=BGR array, ori_shape=..., img_shape=...)``.
    """
    steps = []
    for step in _test_dataset_cfg(cfg)['pipeline']:
        name = step['type'] if isinstance(step['type'], str) else step['type'].__name__
        if name == 'LoadAnnotations' or (from_ndarray and name in _LOADING_STEPS):
            continue
        steps.append(TRANSFORMS.build(step))
    return Compose(steps)


def test_input_size(cfg: Config) -> tuple[int, int]:
    """(H, W) of the network input: the ``scale`` (W, H) of the test pipeline's Letterbox."""
    for step in _test_dataset_cfg(cfg)['pipeline']:
        if step['type'] == 'Letterbox':
            width, height = step['scale']
            return (int(height), int(width))
    raise KeyError('the test pipeline has no Letterbox step; give the input size explicitly')


def _image_results(image: ImageType, img_id: int) -> tuple[dict, bool]:
    """Pipeline input for one image; returns (results, is_array)."""
    if isinstance(image, np.ndarray):
        img = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=-1)
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'image arrays must be (H, W, 3) BGR or (H, W), got {image.shape}')
        return dict(img=img, img_id=img_id, img_shape=img.shape[:2],
                    ori_shape=img.shape[:2]), True
    if isinstance(image, (str, os.PathLike)):
        path = str(image)
        if not osp.isfile(path):
            raise FileNotFoundError(f'image file {path} does not exist')
        return dict(img_path=path, img_id=img_id), False
    raise TypeError(f'an image is a file path or a BGR ndarray, got {type(image).__name__}')


@torch.no_grad()
def inference_detector(model: nn.Module, images: Union[ImageType, Sequence[ImageType]],
                       batch_size: Optional[int] = None
                       ) -> Union[DetDataSample, list[DetDataSample]]:
    """Detect objects in one image or a list of images.

    Args:
        model: a detector from :func:`init_detector` (needs ``model.cfg``).
        images: a file path, an (H, W, 3) uint8 BGR array, or a list of them.
        batch_size: images per forward pass; ``None``: all at once.

    Returns:
        For one image a :class:`DetDataSample`, for a list a list of them, each with
        ``pred_instances``: ``bboxes`` (m, 4) xyxy in original-image pixels,
        ``scores`` (m,), ``labels`` (m,), scores above the head's ``test_cfg.score_thr``.

    Raises:
        FileNotFoundError / OSError naming the file when an image cannot be read.
    """
    single = not isinstance(images, (list, tuple))
    images = [images] if single else list(images)
    pipelines = {}
    packed = []
    for img_id, image in enumerate(images):
        results, is_array = _image_results(image, img_id)
        if is_array not in pipelines:
            pipelines[is_array] = build_test_pipeline(model.cfg, from_ndarray=is_array)
        packed.append(pipelines[is_array](results))
    batch_size = batch_size or max(len(packed), 1)
    outputs = []
    for start in range(0, len(packed), batch_size):
        outputs.extend(model.test_step(pseudo_collate(packed[start:start + batch_size])))
    return outputs[0] if single else outputs
