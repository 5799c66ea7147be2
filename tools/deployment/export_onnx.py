"""Export a detector to ONNX with box decoding (and optionally NMS), then check it with
onnxruntime against PyTorch on a real image.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx
        [--shape 512 | --shape H W] [--dynamic-batch] [--with-nms] [--opset 17]
        [--image IMG] [--cfg-options key=value ...]

Graph input ``images``: float32 (B, 3, H, W), letterboxed, BGR, 0-255 (normalisation is
inside the graph). Outputs: ``boxes`` (B, M, 4) x1, y1, x2, y2 and ``scores`` (B, M, C)
= objectness * class probability, in network-input pixels; with ``--with-nms`` a single
``dets`` (K, 7) = [batch index, x1, y1, x2, y2, score, label]. See docs/deployment.md.

onnx and onnxruntime are optional dependencies (``pip install onnx onnxruntime``).
"""
import argparse
import os
import os.path as osp
import statistics
import time
import warnings
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import DictAction

from yolo_toolbox.apis import init_detector, test_input_size
from yolo_toolbox.datasets.transforms import Letterbox
from yolo_toolbox.models.detectors.export import YOLOExportModel


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a YOLO detector to ONNX and check it')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', default='model.onnx', help='output .onnx file')
    parser.add_argument('--shape', type=int, nargs='+', default=None,
                        help='network input size: S (square) or H W; default: the test '
                             "pipeline's Letterbox scale")
    parser.add_argument('--dynamic-batch', action='store_true', help='make the batch size dynamic')
    parser.add_argument('--with-nms', action='store_true',
                        help="append the head's NMS (ONNX NonMaxSuppression); output dets (K, 7)")
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset version')
    parser.add_argument('--image', help='image for the check (default: a generated one)')
    parser.add_argument('--runs', type=int, default=20, help='timed runs for the latency check')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads of PyTorch and onnxruntime for the latency check '
                             '(default: their defaults)')
    parser.add_argument('--device', default='cpu', help='device of the PyTorch model')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    return parser.parse_args(argv)


def import_onnx():
    """(onnx, onnxruntime), or a SystemExit that says how to install them."""
    try:
        import onnx
        import onnxruntime
    except ImportError as e:
        raise SystemExit(f'ONNX export needs the optional packages onnx and onnxruntime '
                         f'({e}); install them with: pip install onnx onnxruntime') from e
    return onnx, onnxruntime


def input_size(shape: Optional[Sequence[int]], cfg) -> tuple[int, int]:
    """(H, W) from --shape (S or H W), else from the test pipeline's Letterbox."""
    if not shape:
        return test_input_size(cfg)
    if len(shape) not in (1, 2):
        raise SystemExit(f'--shape takes S or H W, got {shape}')
    return (shape[0], shape[-1])


def demo_image(seed: int = 0) -> np.ndarray:
    """A 480x360 BGR image with a few filled shapes on a noisy background."""
    import cv2
    rng = np.random.default_rng(seed)
    img = rng.normal(120, 30, size=(360, 480, 3)).clip(0, 255).astype(np.uint8)
    cv2.rectangle(img, (40, 60), (180, 220), (200, 60, 30), -1)
    cv2.circle(img, (320, 150), 70, (30, 30, 220), -1)
    cv2.fillPoly(img, [np.array([[250, 330], [330, 230], [410, 330]], np.int32)], (40, 200, 40))
    return img


def network_input(image: Optional[str], size_hw: tuple[int, int]) -> torch.Tensor:
    """(1, 3, H, W) float32 BGR 0-255, letterboxed as the test pipeline does."""
    import mmcv
    if image is None:
        img = demo_image()
    else:
        img = mmcv.imread(image)
        if img is None:
            raise SystemExit(f'cannot read image file {image}')
    img = Letterbox(scale=(size_hw[1], size_hw[0])).transform(dict(img=img))['img']
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None].float()


def median_ms(fn, runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def export(wrapper: torch.nn.Module, example: torch.Tensor, out: str, opset: int,
           dynamic_batch: bool) -> list[str]:
    """Trace ``wrapper`` to ``out`` with the TorchScript-based exporter; returns output names."""
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
    return output_names


def check(wrapper: torch.nn.Module, out: str, example: torch.Tensor, runs: int,
          threads: Optional[int] = None) -> dict:
    """Compare onnxruntime with PyTorch on ``example``; returns differences and latencies."""
    onnx, ort = import_onnx()
    onnx.checker.check_model(onnx.load(out))
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(out, options, providers=['CPUExecutionProvider'])
    feed = {'images': example.numpy()}
    ort_outputs = session.run(None, feed)
    with torch.no_grad():
        torch_outputs = [t.cpu().numpy() for t in wrapper(example.to(_device(wrapper)))]
    report = {}
    if wrapper.with_nms:
        ort_dets, torch_dets = ort_outputs[0], torch_outputs[0]
        report['num_dets'] = (len(torch_dets), len(ort_dets))
        if ort_dets.shape == torch_dets.shape:
            report['boxes_max_abs_diff'] = float(np.abs(ort_dets[:, 1:5] - torch_dets[:, 1:5])
                                                 .max(initial=0))
            report['scores_max_abs_diff'] = float(np.abs(ort_dets[:, 5] - torch_dets[:, 5])
                                                  .max(initial=0))
    else:
        for name, ort_out, torch_out in zip(('boxes', 'scores'), ort_outputs, torch_outputs):
            report[f'{name}_max_abs_diff'] = float(np.abs(ort_out - torch_out).max())
    with torch.no_grad():
        example_dev = example.to(_device(wrapper))
        report['torch_ms'] = median_ms(lambda: wrapper(example_dev), runs)
    report['ort_ms'] = median_ms(lambda: session.run(None, feed), runs)
    return report


def _device(module: torch.nn.Module) -> torch.device:
    return next(module.parameters()).device


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    import_onnx()  # fail before the slow part
    model = init_detector(args.config, args.checkpoint, device=args.device,
                          cfg_options=args.cfg_options)
    size_hw = input_size(args.shape, model.cfg)
    stride = max(model.bbox_head.strides)
    if size_hw[0] % stride or size_hw[1] % stride:
        raise SystemExit(f'--shape {size_hw} must be a multiple of the largest stride {stride}')
    wrapper = YOLOExportModel(model, with_nms=args.with_nms).eval()
    example = network_input(args.image, size_hw)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    output_names = export(wrapper, example.to(args.device), args.out, args.opset,
                          args.dynamic_batch)
    print(f'exported {args.out}: input images (B, 3, {size_hw[0]}, {size_hw[1]}) BGR 0-255, '
          f'outputs {output_names}, opset {args.opset}'
          + (', dynamic batch' if args.dynamic_batch else ''))

    default_threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        report = check(wrapper, args.out, example, args.runs, args.threads)
    finally:
        torch.set_num_threads(default_threads)
    if args.dynamic_batch:  # the same graph at batch 2
        report_b2 = check(wrapper, args.out, torch.cat([example, example.flip(-1)]), runs=1)
        report['batch2_max_abs_diff'] = {k: v for k, v in report_b2.items() if 'diff' in k}
    image_name = args.image or 'a generated 480x360 image'
    print(f'onnxruntime vs PyTorch on {image_name}:')
    if 'num_dets' in report:
        print(f'  detections: PyTorch {report["num_dets"][0]}, onnxruntime {report["num_dets"][1]}')
    for key in ('boxes_max_abs_diff', 'scores_max_abs_diff'):
        if key in report:
            print(f'  {key.replace("_", " ")}: {report[key]:.3g}')
    if 'batch2_max_abs_diff' in report:
        print(f'  batch 2: {report["batch2_max_abs_diff"]}')
    threads = f'{args.threads} thread(s)' if args.threads else 'default threads'
    print(f'  latency at batch 1 (median of {args.runs}, {threads}): PyTorch '
          f'{report["torch_ms"]:.1f} ms, onnxruntime {report["ort_ms"]:.1f} ms')
    return report


if __name__ == '__main__':
    main()
