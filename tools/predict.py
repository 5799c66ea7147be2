"""Detect objects in images and write drawn pictures plus one JSON file.

    python tools/predict.py CONFIG CHECKPOINT INPUT [--out-dir outputs/predict]
        [--score-thr 0.3] [--nms-iou 0.3] [--device cpu] [--batch-size 4]
        [--cfg-options key=value ...] [--backend {pytorch,onnxruntime,openvino}] [--threads N]
        [--precision {auto,fp32,bf16}]

With ``--backend onnxruntime`` or ``openvino``, CHECKPOINT is the exported model
(``.onnx``, or OpenVINO's ``.xml``, from ``tools/deployment/export_onnx.py``); the config
gives the pipeline, the NMS settings and the rescaling, so the output is PyTorch's up to
float rounding. OpenVINO runs in the precision it picks for the CPU (``--precision auto``,
the default: bf16 on CPUs with AVX512-BF16 / AMX, about half the latency, boxes within
~2 px and mAP within 0.003 of fp32's; ``--precision fp32`` gives PyTorch's numbers). With
``pytorch`` (the default) BatchNorm is folded into the convs after loading, and on the
CPU the network runs channels_last (same outputs, faster).

INPUT is an image file, a folder (searched recursively for image files) or a glob
pattern (quote it: ``'data/*.jpg'``). Writes:

- ``OUT_DIR/vis/<name>``: each image with its boxes, class names and scores drawn;
- ``OUT_DIR/predictions.json``: a list, per image ``{"file", "width", "height",
  "detections": [{"bbox": [x1, y1, x2, y2], "score", "label", "class_name"}]}`` with
  boxes in original-image pixels and scores >= ``--score-thr``.

An image that cannot be read is logged by name and skipped; the exit code is 0 when at
least one image was processed.
"""
import argparse
import glob
import json
import logging
import os
import os.path as osp
import sys
import warnings
from typing import Optional, Sequence

import torch
from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.utils import ProgressBar, scandir

from yolo_toolbox.apis import inference_detector, init_detector
from yolo_toolbox.deployment.cli_options import add_backend_arguments

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run a YOLO detector on images')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('input', help='an image, a folder of images or a quoted glob pattern')
    parser.add_argument('--out-dir', default='outputs/predict', help='output folder')
    parser.add_argument('--nms-iou', type=float, default=0.3,
                        help='IoU of the class-wise NMS of what is written and drawn '
                             "(Fast/Faster R-CNN's test NMS; evaluation uses the config's)")
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='minimum score of a written / drawn detection')
    parser.add_argument('--device', default='cpu', help="torch device, e.g. 'cuda:0'")
    add_backend_arguments(parser, 'run')
    parser.add_argument('--batch-size', type=int, default=4, help='images per forward pass')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    args = parser.parse_args(argv)
    if args.precision != 'auto' and args.backend != 'openvino':
        parser.error('--precision needs --backend openvino')
    return args


def list_images(source: str) -> list[tuple[str, str]]:
    """``(path, name)`` pairs for INPUT: name is the path relative to the folder (or glob
    root), used for the drawn file."""
    if osp.isdir(source):
        return [(osp.join(source, rel), rel)
                for rel in sorted(scandir(source, IMAGE_SUFFIXES, recursive=True,
                                          case_sensitive=False))]
    if osp.isfile(source):
        return [(source, osp.basename(source))]
    if glob.has_magic(source):
        paths = sorted(p for p in glob.glob(source, recursive=True) if osp.isfile(p))
        root = osp.commonpath([osp.dirname(p) for p in paths]) if paths else ''
        return [(p, osp.relpath(p, root) if root else osp.basename(p)) for p in paths]
    raise FileNotFoundError(f'input {source} is neither an image, a folder nor a glob pattern '
                            'that matches files')


def to_record(path: str, sample, class_names: Sequence[str], score_thr: float) -> dict:
    """One JSON entry: the image's size and detections (original-image pixels)."""
    height, width = sample.metainfo['ori_shape'][:2]
    pred = sample.pred_instances
    detections = []
    for bbox, score, label in zip(pred.bboxes.tolist(), pred.scores.tolist(),
                                  pred.labels.tolist()):
        if score < score_thr:
            continue
        name = class_names[label] if label < len(class_names) else f'class_{label}'
        detections.append(dict(bbox=[round(v, 2) for v in bbox], score=round(score, 4),
                               label=int(label), class_name=name))
    return dict(file=path, width=int(width), height=int(height), detections=detections)


def load_model(args: argparse.Namespace):
    """The detector for ``--backend``: PyTorch with BN folded, or an exported model."""
    if args.backend != 'pytorch':
        from yolo_toolbox.apis.deploy import init_backend_detector
        from yolo_toolbox.deployment.cli_options import backend_kwargs
        return init_backend_detector(args.config, args.checkpoint, args.backend,
                                     cfg_options=args.cfg_options, threads=args.threads,
                                     **backend_kwargs(args))
    from yolo_toolbox.models.detectors.export import fuse_conv_bn
    if args.threads:
        torch.set_num_threads(args.threads)
    model = fuse_conv_bn(init_detector(args.config, args.checkpoint, device=args.device,
                                       cfg_options=args.cfg_options))
    if model.data_preprocessor.device.type == 'cpu':  # NHWC: ~0.75x the time on CPU
        model.to(memory_format=torch.channels_last)
        model.data_preprocessor.channels_last = True
    return model


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    from yolo_toolbox.datasets.transforms import LoadImageFromFile
    from yolo_toolbox.visualization import DetLocalVisualizer

    # boxes touching the border (clipped there) are fine; mmengine warns about each one
    warnings.filterwarnings('ignore', message=r'Warning: The \w+ is out of bounds')
    images = list_images(args.input)
    if not images:
        print_log(f'no image files found for {args.input}', logger='current', level=logging.ERROR)
        return 1
    model = load_model(args)
    if getattr(getattr(model, 'session', None), 'precision', None):
        print_log(f'OpenVINO runs in {model.session.precision}', logger='current')
    # boxes under --score-thr are never written; dropping them before NMS changes nothing above
    model.bbox_head.test_cfg['score_thr'] = max(model.bbox_head.test_cfg['score_thr'],
                                                args.score_thr)
    model.bbox_head.test_cfg['nms_iou_thr'] = args.nms_iou
    class_names = list(model.dataset_meta['classes'])
    visualizer = DetLocalVisualizer(name='predict', display_nms_iou=args.nms_iou)
    visualizer.dataset_meta = model.dataset_meta
    loader = LoadImageFromFile()
    vis_dir = osp.join(args.out_dir, 'vis')
    os.makedirs(vis_dir, exist_ok=True)

    records, skipped = [], []
    progress = ProgressBar(len(images))
    for start in range(0, len(images), args.batch_size):
        batch, arrays = [], []
        for path, name in images[start:start + args.batch_size]:
            try:
                arrays.append(loader(dict(img_path=path))['img'])
                batch.append((path, name))
            except Exception as e:  # unreadable image: report it and go on
                skipped.append(path)
                print_log(f'skipped {path}: {e}', logger='current', level=logging.WARNING)
                progress.update()
        if not arrays:
            continue
        for (path, name), img, sample in zip(batch, arrays, inference_detector(model, arrays)):
            visualizer.add_datasample(name, img[..., ::-1], sample, draw_gt=False,
                                      pred_score_thr=args.score_thr,
                                      out_file=osp.join(vis_dir, name))
            records.append(to_record(path, sample, class_names, args.score_thr))
            progress.update()

    json_path = osp.join(args.out_dir, 'predictions.json')
    with open(json_path, 'w') as f:
        json.dump(records, f, indent=1)
    num_dets = sum(len(r['detections']) for r in records)
    print(f'\n{len(records)} image(s) processed, {len(skipped)} skipped, {num_dets} detections '
          f'with score >= {args.score_thr}')
    if skipped:
        print('skipped (unreadable): ' + ', '.join(skipped))
    print(f'drawn images: {vis_dir}\npredictions:  {json_path}')
    return 0 if records else 1


if __name__ == '__main__':
    sys.exit(main())
