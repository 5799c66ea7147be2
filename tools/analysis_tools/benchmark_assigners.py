"""Time the assigners on a random batch, next to one forward pass of the model.

    python tools/analysis_tools/benchmark_assigners.py [--config configs/yolo_r18_nearby.py]
        [--batch-size 16] [--num-gts 50] [--shape 640] [--repeat 20] [--forward-repeat 3]
        [--assigners single,nearby,all,yolov5,atss,simota,tal] [--device cpu] [--threads N]

GT: ``--num-gts`` random boxes per image (sides log-uniform in [8, shape / 2] px),
``--batch-size`` images of ``--shape``^2 px. Each assigner is timed as the loss runs it:
``head.assign`` of the config's ``model.bbox_head`` (``assigner=`` the one timed) on
random prediction maps of the head's output shape (``yolo_toolbox.analysis.random_preds``),
so an assigner that uses predictions includes the head's decoding of them. Reports the
median time of assigning the batch and the positives it gives, and the median time of
``model(inputs, mode='tensor')`` (no gradients) on the same batch.
"""
import argparse
import platform
from collections.abc import Sequence
from typing import Optional

import torch

from yolo_toolbox.analysis import (
    build_assigners,
    build_head,
    load_config,
    random_gt,
    random_preds,
    time_assigner,
    time_forward,
)
from yolo_toolbox.models.task_modules.assigners import ASSIGNER_ALIASES
from yolo_toolbox.registry import MODELS


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Assignment time vs forward time')
    parser.add_argument('--config', default='configs/yolo_r18_nearby.py',
                        help='model config (anchors, strides, forward pass)')
    parser.add_argument('--assigners', default='single,nearby,all',
                        help=f'comma-separated short names ({", ".join(ASSIGNER_ALIASES)}), '
                             'registered names, or "config"')
    parser.add_argument('--batch-size', type=int, default=16, help='images')
    parser.add_argument('--num-gts', type=int, default=50, help='GT boxes per image')
    parser.add_argument('--shape', type=int, default=640, help='square input size (px)')
    parser.add_argument('--repeat', type=int, default=20, help='timed runs per assigner')
    parser.add_argument('--forward-repeat', type=int, default=3,
                        help='timed forward passes (0: skip the forward pass)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> list:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    head = build_head(cfg).to(args.device)
    strides = head.strides
    num_classes = head.num_classes
    gt = random_gt(args.batch_size, args.num_gts, args.shape, num_classes).to(args.device)
    preds = random_preds(head, args.batch_size, (args.shape, args.shape))
    rows = []
    for name, assigner in build_assigners(args.assigners, cfg).items():
        result = time_assigner(head, preds, gt, assigner, args.repeat)
        rows.append((f'assign: {name}', result['ms'], result['num_pos']))
    if args.forward_repeat > 0:
        model = MODELS.build(cfg.model).to(args.device)
        inputs = torch.randn(args.batch_size, 3, args.shape, args.shape, device=args.device)
        rows.append((f'forward: {cfg.model.type} (no grad)',
                     time_forward(model, inputs, args.forward_repeat), None))
    device = (torch.cuda.get_device_name() if args.device.startswith('cuda')
              else f'{platform.processor() or platform.machine()}, '
                   f'{torch.get_num_threads()} threads')
    print(f'batch {args.batch_size} x {args.num_gts} GTs at {args.shape}x{args.shape}, '
          f'strides {strides}, {head.raw_pred_layout[0]} anchors per scale; torch '
          f'{torch.__version__} on {args.device} ({device})')
    width = max(len(r[0]) for r in rows)
    print(f'| {"what":<{width}} | median ms | positives |')
    print(f'|{"-" * (width + 2)}|----------:|----------:|')
    for what, ms, num_pos in rows:
        print(f'| {what:<{width}} | {ms:9.1f} | {"" if num_pos is None else num_pos:>9} |')
    return rows


if __name__ == '__main__':
    main()
