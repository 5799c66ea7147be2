"""Run an exported detector (ONNX on onnxruntime, or OpenVINO) behind the inference API.

    from yolo_toolbox.apis import inference_detector
    from yolo_toolbox.apis.deploy import init_backend_detector
    model = init_backend_detector('configs/yolo_r18_nearby.py', 'r18.onnx', 'onnxruntime')
    result = inference_detector(model, 'demo.jpg')   # the same DetDataSample as in PyTorch

The exported graph (``tools/deployment/export_onnx.py``) takes letterboxed BGR 0-255
images and returns ``boxes`` (B, M, 4) xyxy and ``scores`` (B, M, C) in network-input
pixels, or, exported ``--with-nms``, ``dets`` (K, 7). The config supplies the test
pipeline, the head's NMS (``test_cfg``) and the rescaling to the original image
(``models/dense_heads/post_processing.py``, without building the PyTorch model), so a
deployed model's detections follow the same rules as :func:`init_detector`'s.

onnxruntime and openvino are optional packages; a missing one raises ImportError with
the pip command.
"""
import copy
import json
import warnings
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config

from yolo_toolbox.models.dense_heads.post_processing import PostProcessor, dets_to_instances
from yolo_toolbox.registry import MODELS

BACKENDS = ('onnxruntime', 'openvino')
OPENVINO_PRECISIONS = ('auto', 'f32', 'bf16')
# where the exporter stores the class names: ONNX metadata_props key, OpenVINO rt_info path
CLASSES_KEY = 'yolo_toolbox_classes'
# where it stores the box coder's settings (the decoding traced into the graph)
CODER_KEY = 'yolo_toolbox_bbox_coder'


def _import(name: str):
    try:
        return __import__(name)
    except ImportError as e:
        raise ImportError(f'the {name} backend needs the optional package {name}: '
                          f'pip install {name}') from e


class OnnxRuntimeModel:
    """An ``.onnx`` file on onnxruntime's CPU provider: ``model(images) -> [outputs]``.

    Args:
        path: the .onnx file.
        threads: intra-op threads (None: onnxruntime's default, one per core).
    """

    def __init__(self, path: str, threads: Optional[int] = None) -> None:
        ort = _import('onnxruntime')
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        self.input_name = self.session.get_inputs()[0].name
        self.input_shape = self.session.get_inputs()[0].shape
        self.output_names = [o.name for o in self.session.get_outputs()]
        meta = self.session.get_modelmeta().custom_metadata_map
        self.classes = tuple(json.loads(meta[CLASSES_KEY])) if CLASSES_KEY in meta else None
        self.coder = json.loads(meta[CODER_KEY]) if CODER_KEY in meta else None

    def __call__(self, images: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {self.input_name: images})


class OpenVINOModel:
    """An OpenVINO IR (``.xml`` + ``.bin``) or ``.onnx`` file on OpenVINO's CPU plugin.

    Args:
        path: the .xml (or .onnx) file.
        threads: inference threads (None: OpenVINO's default).
        precision: ``'auto'`` (default: OpenVINO's own choice for the CPU, bf16 on CPUs
            with AVX512-BF16 / AMX, else f32), ``'f32'`` (the same numbers as PyTorch up
            to rounding) or ``'bf16'``. In bf16 boxes move by up to ~2 px and scores by
            ~3e-3, and mAP by at most 0.003 on the three trained models we measured
            (docs/benchmark.md), for about half the latency. ``self.precision`` is what
            OpenVINO runs ('f32' or 'bf16').
    """

    def __init__(self, path: str, threads: Optional[int] = None,
                 precision: str = 'auto') -> None:
        if precision not in OPENVINO_PRECISIONS:
            raise ValueError(f'precision must be one of {OPENVINO_PRECISIONS}, '
                             f'got {precision!r}')
        ov = _import('openvino')
        core = ov.Core()
        model = core.read_model(path)
        config = {'PERFORMANCE_HINT': 'LATENCY'}
        if precision != 'auto':
            config['INFERENCE_PRECISION_HINT'] = precision
        if threads:
            config['INFERENCE_NUM_THREADS'] = threads
        self.compiled = core.compile_model(model, 'CPU', config)
        self.precision = self.compiled.get_property('INFERENCE_PRECISION_HINT').to_string()
        self.request = self.compiled.create_infer_request()
        self.input_shape = [d.get_length() if d.is_static else None
                            for d in model.inputs[0].get_partial_shape()]
        self.output_names = [o.get_any_name() for o in model.outputs]
        self.classes = None
        if model.has_rt_info([CLASSES_KEY]):
            self.classes = tuple(json.loads(model.get_rt_info([CLASSES_KEY]).astype(str)))
        self.coder = None
        if model.has_rt_info([CODER_KEY]):
            self.coder = json.loads(model.get_rt_info([CODER_KEY]).astype(str))

    def __call__(self, images: np.ndarray) -> list[np.ndarray]:
        results = self.request.infer({0: images})
        return [results[output] for output in self.compiled.outputs]


# the command-line names of OpenVINO's precisions (``--precision``) and OpenVINO's own
PRECISION_ARGS = dict(auto='auto', fp32='f32', bf16='bf16')


def add_backend_arguments(parser, verb: str) -> None:
    """``--backend``, ``--threads`` and ``--precision`` of tools/predict.py and tools/test.py
    (``verb``: what the tool does with the model, e.g. 'run')."""
    parser.add_argument('--backend', default='pytorch', choices=['pytorch', *BACKENDS],
                        help=f'{verb} the checkpoint in PyTorch, or an exported model '
                             '(CHECKPOINT is then the .onnx / .xml file) on onnxruntime or '
                             'OpenVINO (CPU)')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads of the backend (default: its own default)')
    parser.add_argument('--precision', choices=list(PRECISION_ARGS), default='auto',
                        help="OpenVINO's inference precision: auto (OpenVINO's choice for "
                             'the CPU: bf16 where it has AVX512-BF16 / AMX, about 2x faster; '
                             'boxes within ~2 px, mAP within 0.003 of fp32; '
                             'docs/benchmark.md), fp32 or bf16')


def backend_kwargs(args) -> dict:
    """The keyword arguments of :func:`load_backend` that :func:`add_backend_arguments`'
    options ask for."""
    return {'precision': PRECISION_ARGS[args.precision]} if args.backend == 'openvino' else {}


def load_backend(path: str, backend: str, threads: Optional[int] = None, **kwargs):
    """``OnnxRuntimeModel`` or ``OpenVINOModel`` for ``backend`` in :data:`BACKENDS`."""
    if backend == 'onnxruntime':
        return OnnxRuntimeModel(path, threads, **kwargs)
    if backend == 'openvino':
        return OpenVINOModel(path, threads, **kwargs)
    raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')


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


def compare_outputs(reference: Sequence[np.ndarray], outputs: Sequence[np.ndarray],
                    names: Sequence[str] = ('boxes', 'scores')) -> dict:
    """Max abs difference per named output (``{'boxes_max_abs_diff': ...}``)."""
    return {f'{name}_max_abs_diff': float(np.abs(np.asarray(out) - np.asarray(ref)).max())
            for name, ref, out in zip(names, reference, outputs)}


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
