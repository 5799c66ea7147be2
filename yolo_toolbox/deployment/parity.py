"""Check exported files against the PyTorch model they came from: the largest absolute
difference of their outputs on one input, and the latency of each at that batch size.

:func:`check_exports` runs every export (:mod:`.backends`) and the PyTorch wrapper on the
same network input (:func:`network_input`: an image letterboxed as the test pipeline
does, or :func:`generated_check_image`).
"""
import statistics
import time
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from yolo_toolbox.datasets.transforms import Letterbox

from .backends import load_backend
from .onnx_export import require_onnx


def compare_outputs(reference: Sequence[np.ndarray], outputs: Sequence[np.ndarray],
                    names: Sequence[str] = ('boxes', 'scores')) -> dict:
    """Max abs difference per named output (``{'boxes_max_abs_diff': ...}``)."""
    return {f'{name}_max_abs_diff': float(np.abs(np.asarray(out) - np.asarray(ref)).max())
            for name, ref, out in zip(names, reference, outputs)}


def generated_check_image(seed: int = 0) -> np.ndarray:
    """A 480x360 BGR image with a few filled shapes on a noisy background: an input for
    the check when no image is given."""
    import cv2
    rng = np.random.default_rng(seed)
    img = rng.normal(120, 30, size=(360, 480, 3)).clip(0, 255).astype(np.uint8)
    cv2.rectangle(img, (40, 60), (180, 220), (200, 60, 30), -1)
    cv2.circle(img, (320, 150), 70, (30, 30, 220), -1)
    cv2.fillPoly(img, [np.array([[250, 330], [330, 230], [410, 330]], np.int32)], (40, 200, 40))
    return img


def network_input(image: Optional[str], size_hw: tuple[int, int]) -> torch.Tensor:
    """(1, 3, H, W) float32 BGR 0-255 of the image file ``image`` (None:
    :func:`generated_check_image`), letterboxed as the test pipeline does."""
    import mmcv
    if image is None:
        img = generated_check_image()
    else:
        img = mmcv.imread(image)
        if img is None:
            raise OSError(f'cannot read image file {image}')
    img = Letterbox(scale=(size_hw[1], size_hw[0])).transform(dict(img=img))['img']
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None].float()


def median_ms(fn: Callable[[], object], runs: int, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``runs`` calls, after ``warmup``."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def check_exports(reference: torch.nn.Module, exports: dict, example: torch.Tensor,
                  num_runs: int, threads: Optional[int] = None,
                  exported: Optional[torch.nn.Module] = None) -> dict:
    """Compare each exported file with the PyTorch ``reference`` on ``example``.

    Args:
        reference: the PyTorch wrapper the numbers should match (BN not folded).
        exports: backend name -> exported file ('onnxruntime': .onnx, 'openvino': .xml,
            'openvino_int8': the int8 .xml; any name starting with 'openvino' runs on
            OpenVINO in f32).
        example: the network input, (B, 3, H, W).
        num_runs: timed runs per latency.
        threads: CPU threads of the backends (None: their defaults).
        exported: the wrapper that was exported (BN folded), timed too when given.

    Returns:
        per backend ``{backend: {boxes_max_abs_diff, scores_max_abs_diff (or, with NMS,
        num_dets and the diffs of matching detections), ms}}`` and ``torch_ms`` (and
        ``torch_fused_ms``): median latencies at the batch size of ``example``. With an
        ``'openvino'`` export, also ``'openvino_bf16'``: the same file in bf16.
    """
    if 'onnxruntime' in exports:
        onnx, _ = require_onnx()
        onnx.checker.check_model(onnx.load(exports['onnxruntime']))
    device = next(reference.parameters()).device
    with torch.no_grad():
        torch_outputs = [t.cpu().numpy() for t in reference(example.to(device))]
    feed = example.numpy()
    report = {}
    # OpenVINO's files in f32 (its default on a bf16 CPU is bf16), then bf16 as its own row
    runs = [(name, 'openvino', path, {'precision': 'f32'}) if name.startswith('openvino')
            else (name, name, path, {}) for name, path in exports.items()]
    if 'openvino' in exports:  # OpenVINO in bf16 too: what it is worth on this CPU
        runs.append(('openvino_bf16', 'openvino', exports['openvino'], {'precision': 'bf16'}))
    for name, backend, path, kwargs in runs:
        session = load_backend(path, backend, threads, **kwargs)
        outputs = session(feed)
        if reference.with_nms:
            ref_dets, dets = torch_outputs[0], outputs[0]
            entry = dict(num_dets=(len(ref_dets), len(dets)))
            if ref_dets.shape == dets.shape:
                entry.update(compare_outputs([ref_dets[:, 1:5], ref_dets[:, 5]],
                                             [dets[:, 1:5], dets[:, 5]]))
        else:
            entry = compare_outputs(torch_outputs, outputs)
        entry['ms'] = median_ms(lambda session=session: session(feed), num_runs)
        report[name] = entry
    with torch.no_grad():
        example_dev = example.to(device)
        report['torch_ms'] = median_ms(lambda: reference(example_dev), num_runs)
        if exported is not None:
            report['torch_fused_ms'] = median_ms(lambda: exported(example_dev), num_runs)
    return report


def format_check_report(report: dict, image_name: str, runs: int,
                        threads: Optional[int] = None) -> list[str]:
    """The lines that the deployment tools print for a :func:`check_exports` report (and
    its ``batch2_max_abs_diff`` entry, when there is one)."""
    lines = [f'exports vs PyTorch (BN not folded) on {image_name}:']
    backends = [k for k in report if isinstance(report[k], dict) and 'ms' in report[k]]
    for backend in backends:
        entry = report[backend]
        parts = [f'{k.replace("_", " ")} {v:.3g}' for k, v in entry.items() if 'diff' in k]
        if 'num_dets' in entry:
            parts.insert(0, f'detections PyTorch {entry["num_dets"][0]}, {backend} '
                            f'{entry["num_dets"][1]}')
        lines.append(f'  {backend}: ' + ', '.join(parts))
    if 'batch2_max_abs_diff' in report:
        lines.append(f'  batch 2: {report["batch2_max_abs_diff"]}')
    threads_text = f'{threads} thread(s)' if threads else 'default threads'
    latencies = [f'PyTorch {report["torch_ms"]:.1f} ms']
    if 'torch_fused_ms' in report:
        latencies.append(f'PyTorch BN folded {report["torch_fused_ms"]:.1f} ms')
    latencies += [f'{backend} {report[backend]["ms"]:.1f} ms' for backend in backends]
    lines.append(f'  latency at batch 1 (median of {runs}, {threads_text}): '
                 + ', '.join(latencies))
    return lines
