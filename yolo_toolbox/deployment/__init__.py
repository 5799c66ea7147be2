"""Deployment: export a detector (ONNX, OpenVINO IR, int8), run the exported files, and
check them against PyTorch. The command lines are in ``tools/deployment/``; the exported
model behind the inference API is :func:`yolo_toolbox.apis.deploy.init_backend_detector`.

- :mod:`.onnx_export`: trace the export wrapper to ``.onnx`` (class names and box coder
  in its metadata).
- :mod:`.openvino_export`: ``.onnx`` to OpenVINO IR, fp32 or int8 (NNCF calibration).
- :mod:`.backends`: run an exported file on onnxruntime or OpenVINO.
- :mod:`.parity`: outputs and latency of exports vs the PyTorch model.
- :mod:`.signal_stack`: keeps a thread's alternate signal stack across OpenVINO calls.
- :mod:`.cli_options`: the backend options of ``tools/predict.py`` and ``tools/test.py``.
"""
from .backends import (
    BACKENDS,
    CLASSES_KEY,
    CODER_KEY,
    OPENVINO_PRECISIONS,
    OnnxRuntimeModel,
    OpenVINOModel,
    load_backend,
)
from .onnx_export import export_onnx, onnx_metadata, require_onnx, simplify_onnx
from .openvino_export import calibration_paths, export_openvino, quantize_openvino
from .parity import (
    check_exports,
    compare_outputs,
    format_check_report,
    generated_check_image,
    median_ms,
    network_input,
)

__all__ = ['BACKENDS', 'CLASSES_KEY', 'CODER_KEY', 'OPENVINO_PRECISIONS', 'OnnxRuntimeModel',
           'OpenVINOModel', 'calibration_paths', 'check_exports', 'compare_outputs',
           'export_onnx', 'export_openvino', 'format_check_report', 'generated_check_image',
           'load_backend', 'median_ms', 'network_input', 'onnx_metadata', 'quantize_openvino',
           'require_onnx', 'simplify_onnx']
