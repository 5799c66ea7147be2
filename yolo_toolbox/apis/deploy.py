"""Run an exported detector (ONNX on onnxruntime, or OpenVINO) behind the inference API.

    from yolo_toolbox.apis import inference_detector
    from yolo_toolbox.apis.deploy import init_backend_detector
    model = init_backend_detector('configs/yolo_r18_nearby.py', 'r18.onnx', 'onnxruntime')
    result = inference_detector(model, 'demo.jpg')   # the same DetDataSample as in PyTorch

The exported graph (``tools/deployment/export_onnx.py``, :mod:`yolo_toolbox.deployment`)
takes letterboxed BGR 0-255
images and returns ``boxes`` (B, M, 4) xyxy and ``scores`` (B, M, C) in network-input
pixels, or, exported ``--with-nms``, ``dets`` (K, 7). The config supplies the test
pipeline, the head's NMS (``test_cfg``) and the rescaling to the original image
(``models/dense_heads/post_processing.py``, without building the PyTorch model), so a
deployed model's detections follow the same rules as :func:`init_detector`'s.

The inference sessions of the exported files (``OnnxRuntimeModel``, ``OpenVINOModel``,
``load_backend``) are in :mod:`yolo_toolbox.deployment.backends`, re-exported here.
onnxruntime and openvino are optional packages; a missing one raises ImportError with
the pip command.
"""
import copy
import json
import warnings
from typing import Optional

import numpy as np
import torch
from mmengine.config import Config

from yolo_toolbox.deployment.backends import (  # noqa: F401  (re-exported: their old home)
    BACKENDS,
    CLASSES_KEY,
    CODER_KEY,
    OPENVINO_PRECISIONS,
    OnnxRuntimeModel,
    OpenVINOModel,
    load_backend,
)
from yolo_toolbox.deployment.parity import compare_outputs  # noqa: F401  (re-exported)
from yolo_toolbox.models.dense_heads.post_processing import PostProcessor, dets_to_instances
from yolo_toolbox.registry import MODELS

# command-line helpers that lived here; now in yolo_toolbox.deployment.cli_options
_MOVED_CLI_NAMES = ('PRECISION_ARGS', 'add_backend_arguments', 'backend_kwargs')


def __getattr__(name: str):
    if name in _MOVED_CLI_NAMES:
        warnings.warn(f'yolo_toolbox.apis.deploy.{name} is deprecated: use '
                      f'yolo_toolbox.deployment.cli_options.{name}', DeprecationWarning,
                      stacklevel=2)
        from yolo_toolbox.deployment import cli_options
        return getattr(cli_options, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

class BackendDetector:
    """An exported model plus the config's post-processing: ``test_step`` like a
    YOLODetector's.

    Enough of the detector's interface for :func:`inference_detector` and
    ``tools/predict.py``: ``cfg``, ``dataset_meta``, ``bbox_head`` (the
    :class:`~yolo_toolbox.models.dense_heads.post_processing.PostProcessor` built from the
    config's head: ``num_classes``, ``test_cfg`` (drives the NMS), ``nms``,
    ``predict_from_boxes``, ``rescale_boxes``; no network) and ``test_step``.

    Args:
        session: the backend's inference session (:func:`load_backend`).
        cfg: the config.
        post_processor: NMS and rescaling (a ``PostProcessor`` or a head).
        dataset_meta: ``classes`` (and ``palette``).
    """

    def __init__(self, session, cfg: Config, post_processor, dataset_meta: dict) -> None:
        self.session = session
        self.cfg = cfg
        self.post_processor = post_processor
        self.dataset_meta = dataset_meta
        batch = session.input_shape[0] if session.input_shape else None
        self.static_batch = batch if isinstance(batch, int) else None

    @property
    def bbox_head(self):
        """The post-processor, under the name a YOLODetector gives its head."""
        return self.post_processor

    @property
    def runner(self):
        """Deprecated name of :attr:`session` (it is not an mmengine Runner)."""
        warnings.warn('BackendDetector.runner is deprecated: use .session', DeprecationWarning,
                      stacklevel=2)
        return self.session

    def _run(self, images: np.ndarray) -> list[np.ndarray]:
        if self.static_batch is None or self.static_batch == len(images):
            return self.session(images)
        if self.static_batch != 1:
            raise ValueError(f'the exported model takes batches of {self.static_batch}; '
                             'export with --dynamic-batch for other sizes')
        outputs = [self.session(images[i:i + 1]) for i in range(len(images))]
        if len(self.session.output_names) == 1:  # dets (K, 7): renumber the images
            for i, (dets, ) in enumerate(outputs):
                dets[:, 0] = i
            return [np.concatenate([o[0] for o in outputs])]
        return [np.concatenate(parts) for parts in zip(*outputs)]

    def test_step(self, data: dict) -> list:
        """``data`` from ``pseudo_collate`` of the test pipeline's packed samples."""
        samples = data['data_samples']
        images = np.stack([np.asarray(img, dtype=np.float32) for img in data['inputs']])
        outputs = [torch.from_numpy(np.asarray(o)) for o in self._run(images)]
        metas = [s.metainfo for s in samples]
        if len(outputs) == 2:  # boxes, scores: the config's NMS as in PyTorch
            results = self.post_processor.predict_from_boxes(outputs[0], outputs[1], metas)
        else:  # dets (K, 7) from a graph with NMS
            results = dets_to_instances(outputs[0], metas)
        for sample, pred in zip(samples, results):
            sample.pred_instances = pred
        return samples


def init_backend_detector(config, model_file: str, backend: str,
                          cfg_options: Optional[dict] = None, threads: Optional[int] = None,
                          **backend_kwargs) -> BackendDetector:
    """Load an exported model for ``backend`` ('onnxruntime' or 'openvino').

    NMS and rescaling follow the config's head (``PostProcessor.from_head_config``: its
    class's default ``test_cfg`` under the config's); the PyTorch model is not built.
    Class names come from the exported file when the exporter stored them, else from
    the config (:func:`dataset_meta_from_config`).
    """
    from yolo_toolbox.utils import load_config

    from .inference import dataset_meta_from_config
    cfg = load_config(config, cfg_options)
    session = load_backend(model_file, backend, threads, **backend_kwargs)
    head_cfg = cfg.model.bbox_head
    post_processor = PostProcessor.from_head_config(head_cfg)
    head_cls = MODELS.get(head_cfg['type'])
    if getattr(session, 'coder', None) is not None and hasattr(head_cls, 'coder_from_config'):
        check_exported_coder(session.coder, head_cls.coder_from_config(head_cfg).config(),
                             model_file)
    num_classes = post_processor.num_classes
    if session.classes and len(session.classes) == num_classes:
        dataset_meta = dict(classes=session.classes)
    else:
        dataset_meta = dataset_meta_from_config(cfg, num_classes)
    return BackendDetector(session, cfg, post_processor, dataset_meta)


def check_exported_coder(exported: Optional[dict], config_coder: Optional[dict],
                         model_file: str) -> None:
    """Warn where the box coder traced into an exported model (``exported``) differs from
    the config's (``config_coder``, a ``coder.config()``): the exported boxes are right
    (their decoding is in the graph), but the config does not describe the model, so its
    other settings may not either."""
    if exported is None or config_coder is None:
        return
    mine = json.loads(json.dumps(config_coder, sort_keys=True))
    if exported != mine:
        diffs = '; '.join(f'{k} {exported.get(k)!r} (export) vs {mine.get(k)!r} (config)'
                          for k in sorted(set(exported) | set(mine))
                          if exported.get(k) != mine.get(k))
        warnings.warn(f'{model_file} was exported with another box coder than the config '
                      f'names ({diffs}); its boxes are decoded in the graph as exported, '
                      'but check that the config is the one it was trained with')


def evaluate_exported(detector: BackendDetector, cfg: Config,
                      log_every: int = 0) -> dict:
    """Evaluate an exported model as ``tools/test.py`` evaluates a checkpoint.

    The batches of ``cfg.test_dataloader`` go through ``detector.test_step`` (the exported
    network, then the config's NMS and rescaling) into ``cfg.test_evaluator``; returns
    its metrics (``det/mAP_50``, ...). ``log_every``: print progress every N batches.
    """
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    init_default_scope(cfg.get('default_scope', 'yolo_toolbox'))
    loader = Runner.build_dataloader(copy.deepcopy(cfg.test_dataloader))
    evaluator = Evaluator(copy.deepcopy(cfg.test_evaluator))
    evaluator.dataset_meta = loader.dataset.metainfo
    for i, data in enumerate(loader):
        evaluator.process(detector.test_step(data), data)
        if log_every and ((i + 1) % log_every == 0 or i + 1 == len(loader)):
            print(f'{i + 1}/{len(loader)} batches', flush=True)
    return evaluator.evaluate(len(loader.dataset))
