"""Quantize an OpenVINO IR to int8 after training (NNCF), calibrated on real images.

    python tools/deployment/quantize_int8.py CONFIG model.xml [--out model_int8.xml]
        [--calib-images 300] [--calib-dir DIR] [--cfg-options key=value ...]

The activation ranges are calibrated on ``--calib-images`` images drawn at random from
the config's training split (``--calib-dir``: a folder of images instead), letterboxed
to the IR's input size as at test time. The result has int8 weights and activations and
a batch of 1 (OpenVINO's int8 kernels ran 3.5x slower with a dynamic batch). This is
``export_onnx.py --int8`` for an IR written earlier (``export_openvino.py``); check what it
costs with ``tools/test.py CONFIG model_int8.xml --backend openvino``.
Needs ``pip install openvino nncf``.
"""
import argparse
import os.path as osp
import time
from typing import Optional, Sequence

from mmengine.config import DictAction

from yolo_toolbox.deployment import calibration_paths, network_input, quantize_openvino
from yolo_toolbox.utils import load_config


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='int8 post-training quantization of an '
                                                 'OpenVINO IR')
    parser.add_argument('config', help='config file (its training split calibrates)')
    parser.add_argument('xml', help='the fp32 OpenVINO IR (.xml)')
    parser.add_argument('--out', help='output .xml (default: XML with _int8.xml)')
    parser.add_argument('--calib-images', type=int, default=300,
                        help='how many calibration images (default 300)')
    parser.add_argument('--calib-dir',
                        help="a folder of calibration images (default: the config's "
                             'training split)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    return parser.parse_args(argv)


def ir_input_size(xml: str) -> tuple[int, int]:
    """(H, W) of the IR's input, which the exporter fixes."""
    import openvino as ov
    shape = ov.Core().read_model(xml).inputs[0].get_partial_shape()
    if not (shape[2].is_static and shape[3].is_static):
        raise SystemExit(f'{xml}: the input height and width must be static, got {shape}')
    return shape[2].get_length(), shape[3].get_length()


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    if not osp.isfile(args.xml):
        raise SystemExit(f'{args.xml}: no such file')
    out = args.out or osp.splitext(args.xml)[0] + '_int8.xml'
    try:
        import nncf  # noqa: F401  (fail before reading the calibration images)
        size_hw = ir_input_size(args.xml)
    except ImportError as e:
        raise SystemExit(f'int8 quantization needs the optional packages openvino and nncf '
                         f'({e}): pip install openvino nncf') from e
    cfg = load_config(args.config, args.cfg_options)
    try:
        paths = calibration_paths(cfg, args.calib_dir, args.calib_images)
    except ValueError as e:
        raise SystemExit(str(e)) from e
    start = time.perf_counter()
    quantize_openvino(args.xml, out, [network_input(path, size_hw).numpy() for path in paths])
    print(f'exported {out} (OpenVINO IR, int8; calibrated on {len(paths)} images in '
          f'{time.perf_counter() - start:.0f} s)')
    return out


if __name__ == '__main__':
    main()
