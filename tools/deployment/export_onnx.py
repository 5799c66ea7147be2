"""Export a detector to ONNX (and OpenVINO) with box decoding (and optionally NMS), then
check each export against PyTorch on a real image.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx
        [--shape 512 | --shape H W] [--dynamic-batch] [--with-nms] [--opset 17]
        [--openvino] [--int8 [--calib-images 300] [--calib-dir DIR]]
        [--no-fuse-bn] [--no-simplify] [--image IMG] [--threads N] [--cfg-options key=value ...]

Graph input ``images``: float32 (B, 3, H, W), letterboxed, BGR, 0-255 (normalisation is
inside the graph). Outputs: ``boxes`` (B, M, 4) x1, y1, x2, y2 and ``scores`` (B, M, C)
= objectness * class probability, in network-input pixels; with ``--with-nms`` a single
``dets`` (K, 7) = [batch index, x1, y1, x2, y2, score, label]. See docs/deployment.md.

For speed the graph is exported with every BatchNorm folded into its conv
(``--no-fuse-bn`` keeps them) and simplified with onnxslim when it is installed
(``--no-simplify`` skips it). ``--openvino`` also writes an OpenVINO IR (``.xml`` +
``.bin``, fp32 weights) next to ``--out``; ``--int8`` also an int8 one (OUT with
``_int8.xml``), quantized after training with NNCF, its activation ranges calibrated on
images of the config's training split (``--calib-dir``: a folder of images instead),
letterboxed as at test time. The check compares every export with the
checkpoint's own PyTorch model (BN not folded): max abs difference of boxes and scores,
and the latency of each at batch 1. The class names are stored in the exported files,
so ``tools/predict.py --backend onnxruntime|openvino`` names classes as the checkpoint.

The steps are library functions of :mod:`yolo_toolbox.deployment`; the other scripts
here run one step each on files already written: ``export_openvino.py`` (``.onnx`` to
OpenVINO IR), ``quantize_int8.py`` (int8 IR) and ``check_export.py`` (the parity and
latency check).

onnx, onnxruntime, onnxslim, openvino and nncf are optional dependencies
(``pip install onnx onnxruntime onnxslim openvino nncf``).
"""
import argparse
import os
import os.path as osp
import time
from typing import Optional, Sequence

import torch
from mmengine.config import DictAction

from yolo_toolbox.apis import init_detector, test_input_size
from yolo_toolbox.deployment import (
    calibration_paths,
    check_exports,
    export_onnx,
    export_openvino,
    format_check_report,
    network_input,
    quantize_openvino,
    require_onnx,
)
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
    parser.add_argument('--openvino', action='store_true',
                        help='also convert to OpenVINO IR (OUT with .xml) and check it')
    parser.add_argument('--int8', action='store_true',
                        help='also write an int8 OpenVINO IR (OUT with _int8.xml), quantized '
                             'with NNCF on calibration images; implies --openvino')
    parser.add_argument('--calib-images', type=int, default=300,
                        help='--int8: how many calibration images (default 300)')
    parser.add_argument('--calib-dir',
                        help="--int8: a folder of calibration images (default: the config's "
                             'training split)')
    parser.add_argument('--no-fuse-bn', action='store_true',
                        help='keep BatchNorm layers (default: folded into the convs)')
    parser.add_argument('--no-simplify', action='store_true',
                        help='skip the onnxslim pass (default: simplify when installed)')
    parser.add_argument('--image', help='image for the check (default: a generated one)')
    parser.add_argument('--runs', type=int, default=20, help='timed runs for the latency check')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads of PyTorch and onnxruntime for the latency check '
                             '(default: their defaults)')
    parser.add_argument('--device', default='cpu', help='device of the PyTorch model')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    return parser.parse_args(argv)


def input_size(shape: Optional[Sequence[int]], cfg) -> tuple[int, int]:
    """(H, W) from --shape (S or H W), else from the test pipeline's Letterbox."""
    if not shape:
        return test_input_size(cfg)
    if len(shape) not in (1, 2):
        raise SystemExit(f'--shape takes S or H W, got {shape}')
    return (shape[0], shape[-1])


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    try:
        require_onnx()  # fail before the slow part
        return run(args)
    except ImportError as e:  # an optional package is missing: the message says which
        raise SystemExit(str(e)) from e


def run(args: argparse.Namespace) -> dict:
    """Export (and convert, quantize) as ``args`` say, then check every export."""
    model = init_detector(args.config, args.checkpoint, device=args.device,
                          cfg_options=args.cfg_options)
    size_hw = input_size(args.shape, model.cfg)
    stride = max(model.bbox_head.strides)
    if size_hw[0] % stride or size_hw[1] % stride:
        raise SystemExit(f'--shape {size_hw} must be a multiple of the largest stride {stride}')
    reference = YOLOExportModel(model, with_nms=args.with_nms).eval()
    wrapper = YOLOExportModel(model, with_nms=args.with_nms,
                              fuse_bn=not args.no_fuse_bn).eval()
    try:
        example = network_input(args.image, size_hw)
    except OSError as e:
        raise SystemExit(str(e)) from e
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    classes = list(model.dataset_meta.get('classes', ()))
    coder = model.bbox_head.bbox_coder.config()
    output_names = export_onnx(wrapper, example.to(args.device), args.out, args.opset,
                               args.dynamic_batch, simplify=not args.no_simplify,
                               classes=classes, coder=coder)
    exports = {'onnxruntime': args.out}
    print(f'exported {args.out}: input images (B, 3, {size_hw[0]}, {size_hw[1]}) BGR 0-255, '
          f'outputs {output_names}, opset {args.opset}'
          + (', dynamic batch' if args.dynamic_batch else '')
          + ('' if args.no_fuse_bn else ', BN folded')
          + ('' if args.no_simplify else ', simplified'))
    if args.openvino or args.int8:
        xml = export_openvino(args.out, osp.splitext(args.out)[0] + '.xml', classes, coder)
        exports['openvino'] = xml
        print(f'exported {xml} (OpenVINO IR, fp32)')
    if args.int8:
        try:
            paths = calibration_paths(model.cfg, args.calib_dir, args.calib_images)
        except ValueError as e:  # no such folder, no images, an unreadable training split
            raise SystemExit(f'--int8: {e}') from e
        start = time.perf_counter()
        int8_xml = quantize_openvino(xml, osp.splitext(args.out)[0] + '_int8.xml',
                                     [network_input(path, size_hw).numpy() for path in paths])
        exports['openvino_int8'] = int8_xml
        print(f'exported {int8_xml} (OpenVINO IR, int8; calibrated on {len(paths)} images in '
              f'{time.perf_counter() - start:.0f} s)')

    default_threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        report = check_exports(reference, exports, example, args.runs, args.threads,
                               exported=wrapper)
    finally:
        torch.set_num_threads(default_threads)
    if args.dynamic_batch:  # the same graphs at batch 2 (the int8 one has batch 1)
        dynamic = {k: v for k, v in exports.items() if k != 'openvino_int8'}
        report_b2 = check_exports(reference, dynamic, torch.cat([example, example.flip(-1)]),
                                  num_runs=1)
        report['batch2_max_abs_diff'] = {
            backend: {k: v for k, v in report_b2[backend].items() if 'diff' in k}
            for backend in dynamic}
    image_name = args.image or 'a generated 480x360 image'
    print('\n'.join(format_check_report(report, image_name, args.runs, args.threads)))
    return report


if __name__ == '__main__':
    main()
