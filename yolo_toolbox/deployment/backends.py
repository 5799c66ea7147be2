"""Exported detectors on their inference engines: ``model(images) -> [outputs]``.

:class:`OnnxRuntimeModel` runs an ``.onnx`` file on onnxruntime, :class:`OpenVINOModel` an
OpenVINO IR (or ``.onnx``) on OpenVINO, both on the CPU; :func:`load_backend` picks one by
name. Each reads back the class names and box coder settings that the exporter
(:mod:`yolo_toolbox.deployment.onnx_export`) stored in the file. The raw network outputs
only: :func:`yolo_toolbox.apis.deploy.init_backend_detector` adds the config's NMS and
rescaling.

onnxruntime and openvino are optional packages; a missing one raises ImportError with
the pip command.
"""
import json
from typing import Optional

import numpy as np

from .signal_stack import keep_signal_stack

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
        # OpenVINO swaps in a signal stack of its own here and may put back a freed one
        # later, when two models are released in the order they were made
        # (yolo_toolbox/deployment/signal_stack.py): keep the thread's own
        with keep_signal_stack():
            self.compiled = core.compile_model(model, 'CPU', config)
            self.request = self.compiled.create_infer_request()
        self.precision = self.compiled.get_property('INFERENCE_PRECISION_HINT').to_string()
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


def load_backend(path: str, backend: str, threads: Optional[int] = None, **kwargs):
    """``OnnxRuntimeModel`` or ``OpenVINOModel`` for ``backend`` in :data:`BACKENDS`."""
    if backend == 'onnxruntime':
        return OnnxRuntimeModel(path, threads, **kwargs)
    if backend == 'openvino':
        return OpenVINOModel(path, threads, **kwargs)
    raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
