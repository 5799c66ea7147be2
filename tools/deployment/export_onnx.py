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

onnx, onnxruntime, onnxslim, openvino and nncf are optional dependencies
(``pip install onnx onnxruntime onnxslim openvino nncf``).
"""
import argparse
import json
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
from yolo_toolbox.apis.deploy import CLASSES_KEY, CODER_KEY, compare_outputs, load_backend
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


def export(wrapper: torch.nn.Module, example: torch.Tensor, out: str, opset: int = 17,
           dynamic_batch: bool = False, simplify: bool = True,
           classes: Optional[Sequence[str]] = None, coder: Optional[dict] = None) -> list[str]:
    """Trace ``wrapper`` to ``out`` with the TorchScript-based exporter, simplify the graph
    (:func:`simplify_onnx`) and store ``classes`` and the box coder's settings ``coder``
    (the decoding traced into the graph) in its metadata; returns output names."""
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


def export_openvino(onnx_path: str, xml_path: str, classes: Optional[Sequence[str]] = None,
                    coder: Optional[dict] = None) -> str:
    """Convert an exported .onnx to OpenVINO IR (``xml_path`` + .bin, fp32 weights), with
    the class names and the box coder's settings in its rt_info."""
    try:
        import openvino as ov
    except ImportError as e:
        raise SystemExit(f'--openvino needs the optional package openvino ({e}); install it '
                         'with: pip install openvino') from e
    model = ov.convert_model(onnx_path)
    if classes is not None:
        model.set_rt_info(json.dumps(list(classes)), [CLASSES_KEY])
    if coder is not None:
        model.set_rt_info(json.dumps(coder, sort_keys=True), [CODER_KEY])
    ov.save_model(model, xml_path, compress_to_fp16=False)
    return xml_path


IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def calibration_paths(cfg, calib_dir: Optional[str], num: int, seed: int = 0) -> list[str]:
    """``num`` image files, drawn at random (``seed``), from ``calib_dir`` or else from the
    config's training split (``train_dataloader.dataset``, read without its pipeline)."""
    if calib_dir:
        if not osp.isdir(calib_dir):
            raise SystemExit(f'--calib-dir {calib_dir}: no such folder')
        paths = sorted(osp.join(root, name) for root, _, names in os.walk(calib_dir)
                       for name in names if name.lower().endswith(IMAGE_SUFFIXES))
        where = calib_dir
    else:
        import copy

        from mmengine.registry import init_default_scope

        from yolo_toolbox.registry import DATASETS
        init_default_scope(cfg.get('default_scope', 'yolo_toolbox'))
        dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
        dataset_cfg['pipeline'] = []
        try:
            dataset = DATASETS.build(dataset_cfg)
        except (FileNotFoundError, ValueError, RuntimeError) as e:
            raise SystemExit(f"--int8 calibrates on the config's training split, which could "
                             f'not be read ({e}); pass --calib-dir DIR (a folder of images '
                             'like the ones the model will see)') from e
        paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
        where = "the config's training split"
    if not paths:
        raise SystemExit(f'--int8: no calibration images in {where}')
    order = np.random.default_rng(seed).permutation(len(paths))[:num]
    return [paths[i] for i in sorted(order)]


def quantize_openvino(xml_path: str, out_xml: str, images: Sequence[np.ndarray]) -> str:
    """Post-training int8 quantization of an OpenVINO IR with NNCF (activation ranges from
    ``images``: network inputs (1, 3, H, W), fast bias correction); writes ``out_xml``, a
    model with a static batch of 1."""
    try:
        import nncf
        import openvino as ov
    except ImportError as e:
        raise SystemExit(f'--int8 needs the optional packages openvino and nncf ({e}); '
                         'install them with: pip install openvino nncf') from e
    model = ov.Core().read_model(xml_path)
    # batch 1, static: OpenVINO's int8 kernels ran 3.5x slower on a dynamic batch here
    # (8.2 ms vs 2.3 ms for the demo model); a larger batch is run image by image
    model.reshape(list(images[0].shape))
    quantized = nncf.quantize(model, nncf.Dataset(list(images)), subset_size=len(images))
    ov.save_model(quantized, out_xml, compress_to_fp16=False)  # keeps the class names
    return out_xml


def check(reference: torch.nn.Module, exports: dict, example: torch.Tensor, num_runs: int,
          threads: Optional[int] = None, exported: Optional[torch.nn.Module] = None) -> dict:
    """Compare each exported file with the PyTorch ``reference`` on ``example``.

    Args:
        reference: the PyTorch wrapper the numbers should match (BN not folded).
        exports: backend name -> exported file ('onnxruntime': .onnx, 'openvino': .xml,
            'openvino_int8': the int8 .xml).
        exported: the wrapper that was exported (BN folded), timed too when given.

    Returns:
        per backend ``{backend: {boxes_max_abs_diff, scores_max_abs_diff (or, with NMS,
        num_dets and the diffs of matching detections), ms}}`` and ``torch_ms`` (and
        ``torch_fused_ms``): median latencies at batch 1.
    """
    if 'onnxruntime' in exports:
        onnx, _ = import_onnx()
        onnx.checker.check_model(onnx.load(exports['onnxruntime']))
    device = _device(reference)
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
        runner = load_backend(path, backend, threads, **kwargs)
        outputs = runner(feed)
        if reference.with_nms:
            ref_dets, dets = torch_outputs[0], outputs[0]
            entry = dict(num_dets=(len(ref_dets), len(dets)))
            if ref_dets.shape == dets.shape:
                entry.update(compare_outputs([ref_dets[:, 1:5], ref_dets[:, 5]],
                                             [dets[:, 1:5], dets[:, 5]]))
        else:
            entry = compare_outputs(torch_outputs, outputs)
        entry['ms'] = median_ms(lambda runner=runner: runner(feed), num_runs)
        report[name] = entry
    with torch.no_grad():
        example_dev = example.to(device)
        report['torch_ms'] = median_ms(lambda: reference(example_dev), num_runs)
        if exported is not None:
            report['torch_fused_ms'] = median_ms(lambda: exported(example_dev), num_runs)
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
    reference = YOLOExportModel(model, with_nms=args.with_nms).eval()
    wrapper = YOLOExportModel(model, with_nms=args.with_nms,
                              fuse_bn=not args.no_fuse_bn).eval()
    example = network_input(args.image, size_hw)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    classes = list(model.dataset_meta.get('classes', ()))
    coder = model.bbox_head.bbox_coder.config()
    output_names = export(wrapper, example.to(args.device), args.out, args.opset,
                          args.dynamic_batch, simplify=not args.no_simplify, classes=classes,
                          coder=coder)
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
        paths = calibration_paths(model.cfg, args.calib_dir, args.calib_images)
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
        report = check(reference, exports, example, args.runs, args.threads, exported=wrapper)
    finally:
        torch.set_num_threads(default_threads)
    if args.dynamic_batch:  # the same graphs at batch 2 (the int8 one has batch 1)
        dynamic = {k: v for k, v in exports.items() if k != 'openvino_int8'}
        report_b2 = check(reference, dynamic, torch.cat([example, example.flip(-1)]),
                          num_runs=1)
        report['batch2_max_abs_diff'] = {
            backend: {k: v for k, v in report_b2[backend].items() if 'diff' in k}
            for backend in dynamic}
    image_name = args.image or 'a generated 480x360 image'
    print(f'exports vs PyTorch (BN not folded) on {image_name}:')
    backends = [k for k in report if isinstance(report[k], dict) and 'ms' in report[k]]
    for backend in backends:
        entry = report[backend]
        parts = [f'{k.replace("_", " ")} {v:.3g}' for k, v in entry.items() if 'diff' in k]
        if 'num_dets' in entry:
            parts.insert(0, f'detections PyTorch {entry["num_dets"][0]}, {backend} '
                            f'{entry["num_dets"][1]}')
        print(f'  {backend}: ' + ', '.join(parts))
    if 'batch2_max_abs_diff' in report:
        print(f'  batch 2: {report["batch2_max_abs_diff"]}')
    threads = f'{args.threads} thread(s)' if args.threads else 'default threads'
    latencies = [f'PyTorch {report["torch_ms"]:.1f} ms']
    if 'torch_fused_ms' in report:
        latencies.append(f'PyTorch BN folded {report["torch_fused_ms"]:.1f} ms')
    latencies += [f'{backend} {report[backend]["ms"]:.1f} ms' for backend in backends]
    print(f'  latency at batch 1 (median of {args.runs}, {threads}): ' + ', '.join(latencies))
    return report


if __name__ == '__main__':
    main()
