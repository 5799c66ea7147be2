"""Trace a detector's export wrapper to an ONNX file.

The wrapper is :class:`yolo_toolbox.models.detectors.export.YOLOExportModel` (box
decoding, and optionally NMS, in the graph). :func:`export_onnx` traces it, simplifies the
graph (:func:`simplify_onnx`) and stores the class names and the box coder's settings in
the file's metadata, where :mod:`.backends` reads them back (:func:`onnx_metadata` too).

onnx is an optional package (onnxruntime to run the file, onnxslim to simplify it).
"""
import json
import warnings
from typing import Optional, Sequence

import torch

from .backends import CLASSES_KEY, CODER_KEY


def require_onnx():
    """(onnx, onnxruntime), or an ImportError that says how to install them."""
    try:
        import onnx
        import onnxruntime
    except ImportError as e:
        raise ImportError(f'ONNX export needs the optional packages onnx and onnxruntime '
                          f'({e}); install them with: pip install onnx onnxruntime') from e
    return onnx, onnxruntime


def export_onnx(wrapper: torch.nn.Module, example: torch.Tensor, out: str, opset: int = 17,
                dynamic_batch: bool = False, simplify: bool = True,
                classes: Optional[Sequence[str]] = None,
                coder: Optional[dict] = None) -> list[str]:
    """Trace ``wrapper`` to ``out`` with the TorchScript-based exporter, simplify the graph
    (:func:`simplify_onnx`) and store ``classes`` and the box coder's settings ``coder``
    (the decoding traced into the graph) in its metadata; returns the output names
    (``['boxes', 'scores']``, or ``['dets']`` for a wrapper with NMS)."""
    output_names = ['dets'] if wrapper.with_nms else ['boxes', 'scores']
    dynamic_axes = None
    if dynamic_batch:
        dynamic_axes = {'images': {0: 'batch'}}
        if not wrapper.with_nms:  # dets' first axis is dynamic anyway
            dynamic_axes.update({name: {0: 'batch'} for name in output_names})
    with torch.no_grad(), warnings.catch_warnings():
        # dynamo=False is deliberate (the dynamo exporter needs onnxscript); the tracer's
        # warnings are about sizes that are static here (H, W are fixed at export)
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(wrapper, (example, ), out, input_names=['images'],
                          output_names=output_names, opset_version=opset,
                          dynamic_axes=dynamic_axes, do_constant_folding=True, dynamo=False)
    if simplify:
        simplify_onnx(out)
    metadata = {}
    if classes is not None:
        metadata[CLASSES_KEY] = json.dumps(list(classes))
    if coder is not None:
        metadata[CODER_KEY] = json.dumps(coder, sort_keys=True)
    if metadata:
        import onnx
        model = onnx.load(out)
        for key, value in metadata.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(model, out)
    return output_names


def simplify_onnx(path: str) -> bool:
    """Simplify the graph in place with onnxslim (constant folding, dead nodes, shape ops);
    returns False, with a warning, when onnxslim is not installed."""
    try:
        import onnxslim
    except ImportError:
        warnings.warn('onnxslim is not installed: the ONNX graph is not simplified '
                      '(pip install onnxslim)')
        return False
    import onnx
    onnx.save(onnxslim.slim(onnx.load(path)), path)
    return True


def onnx_metadata(path: str) -> tuple[Optional[list], Optional[dict]]:
    """(class names, box coder settings) that :func:`export_onnx` stored in ``path``;
    None for what the file does not hold."""
    onnx, _ = require_onnx()
    props = {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}
    classes = json.loads(props[CLASSES_KEY]) if CLASSES_KEY in props else None
    coder = json.loads(props[CODER_KEY]) if CODER_KEY in props else None
    return classes, coder
