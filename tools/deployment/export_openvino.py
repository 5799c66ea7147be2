"""Convert an exported ``.onnx`` file to OpenVINO IR (``.xml`` + ``.bin``, fp32 weights).

    python tools/deployment/export_openvino.py model.onnx [--out model.xml]

The class names and box coder settings that ``export_onnx.py`` stored in the ``.onnx``
file are carried into the IR, so ``tools/predict.py --backend openvino`` names classes
as the checkpoint. ``export_onnx.py --openvino`` does the same in one go (and checks the
result); this script converts a file exported earlier. Check the IR with
``check_export.py``. Needs ``pip install onnx openvino``.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

from yolo_toolbox.deployment import export_openvino, onnx_metadata


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert an exported .onnx to OpenVINO IR')
    parser.add_argument('onnx', help='the .onnx file of tools/deployment/export_onnx.py')
    parser.add_argument('--out', help='output .xml (default: the .onnx path with .xml)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    if not osp.isfile(args.onnx):
        raise SystemExit(f'{args.onnx}: no such file')
    out = args.out or osp.splitext(args.onnx)[0] + '.xml'
    try:
        classes, coder = onnx_metadata(args.onnx)
        export_openvino(args.onnx, out, classes, coder)
    except ImportError as e:
        raise SystemExit(str(e)) from e
    print(f'exported {out} (OpenVINO IR, fp32)'
          + (f'; classes {classes}' if classes else '; no class names in the .onnx file'))
    return out


if __name__ == '__main__':
    main()
