"""Check exported files against the checkpoint they came from: outputs and latency.

    python tools/deployment/check_export.py CONFIG CHECKPOINT EXPORT [EXPORT ...]
        [--image IMG] [--runs 20] [--threads N] [--batch2] [--device cpu]
        [--cfg-options key=value ...]

Each EXPORT (``model.onnx`` on onnxruntime, ``model.xml`` on OpenVINO in f32 and bf16,
``model_int8.xml`` on OpenVINO as ``openvino_int8``) runs on the given image (or a
generated one), letterboxed to the export's input size, next to the checkpoint's own
PyTorch model (BN not folded) with the same NMS setting as the export (read from its
outputs). Printed per backend: the largest absolute difference of boxes and scores (or,
with NMS, of the matching detections), and the latency at batch 1 of PyTorch, PyTorch
with BN folded and each backend (median of ``--runs``). ``--batch2`` also compares a
batch of 2 (for exports with a dynamic batch). This is the check that ``export_onnx.py``
runs after exporting, for files written earlier.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import DictAction

from yolo_toolbox.apis import init_detector
from yolo_toolbox.deployment import (
    check_exports,
    format_check_report,
    load_backend,
    network_input,
)
from yolo_toolbox.models.detectors.export import YOLOExportModel


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Check exported models against PyTorch')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file the exports came from')
    parser.add_argument('exports', nargs='+',
                        help='exported files: .onnx (onnxruntime), .xml (OpenVINO; '
                             '*_int8.xml is reported as openvino_int8)')
    parser.add_argument('--image', help='image for the check (default: a generated one)')
    parser.add_argument('--runs', type=int, default=20, help='timed runs for the latency check')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads of PyTorch and the backends (default: their '
                             'defaults)')
    parser.add_argument('--batch2', action='store_true',
                        help='also compare a batch of 2 (exports with a dynamic batch)')
    parser.add_argument('--device', default='cpu', help='device of the PyTorch model')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    return parser.parse_args(argv)


def backend_name(path: str) -> tuple[str, str]:
    """(name in the report, backend) of an exported file, from its extension."""
    if path.endswith('.onnx'):
        return 'onnxruntime', 'onnxruntime'
    if path.endswith('.xml'):
        return ('openvino_int8' if path.endswith('_int8.xml') else 'openvino'), 'openvino'
    raise SystemExit(f'{path}: an export is a .onnx or an OpenVINO .xml file')


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    exports = {}
    for path in args.exports:
        if not osp.isfile(path):
            raise SystemExit(f'{path}: no such file')
        name, _ = backend_name(path)
        if name in exports:
            raise SystemExit(f'two exports for {name}: {exports[name]} and {path}; '
                             'check them one run each')
        exports[name] = path
    try:
        first = load_backend(args.exports[0], backend_name(args.exports[0])[1])
    except ImportError as e:
        raise SystemExit(str(e)) from e
    size_hw = tuple(first.input_shape[2:4])
    if not all(isinstance(v, int) for v in size_hw):
        raise SystemExit(f'{args.exports[0]}: the input height and width must be static, '
                         f'got {first.input_shape}')
    with_nms = first.output_names == ['dets']
    model = init_detector(args.config, args.checkpoint, device=args.device,
                          cfg_options=args.cfg_options)
    reference = YOLOExportModel(model, with_nms=with_nms).eval()
    fused = YOLOExportModel(model, with_nms=with_nms, fuse_bn=True).eval()
    try:
        example = network_input(args.image, size_hw)
    except OSError as e:
        raise SystemExit(str(e)) from e

    default_threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        report = check_exports(reference, exports, example, args.runs, args.threads,
                               exported=fused)
        if args.batch2:
            batch2 = {k: v for k, v in exports.items() if k != 'openvino_int8'}
            report_b2 = check_exports(reference, batch2,
                                      torch.cat([example, example.flip(-1)]), num_runs=1)
            report['batch2_max_abs_diff'] = {
                backend: {k: v for k, v in report_b2[backend].items() if 'diff' in k}
                for backend in batch2}
    finally:
        torch.set_num_threads(default_threads)
    image_name = args.image or 'a generated 480x360 image'
    print('\n'.join(format_check_report(report, image_name, args.runs, args.threads)))
    return report


if __name__ == '__main__':
    main()
