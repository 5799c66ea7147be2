"""Time the assigners on a random batch, next to one forward pass of the model.

    python tools/analysis_tools/benchmark_assigners.py [--config configs/yolo_r18_nearby.py]
        [--batch-size 16] [--num-gts 50] [--shape 640] [--repeat 20] [--forward-repeat 3]
        [--assigners single,nearby,all,yolov5,atss,simota,tal] [--device cpu] [--threads N]

GT: ``--num-gts`` random boxes per image (sides log-uniform in [8, shape / 2] px),
``--batch-size`` images of ``--shape``^2 px; anchors and strides from the config's
``model.bbox_head`` (COCO anchors, strides 8/16/32 in the default config). Each assigner
is timed as the head calls it in training, ``assigner.assign_levels`` over all scales;
an assigner that uses predictions gets random ones (boxes near each slot's cell, scores
in [0, 0.1)), whose values do not change its amount of work. Reports the median time of
assigning the batch and the positives it gives, and the median time of
``model(inputs, mode='tensor')`` (no gradients) on the same batch.
"""
import argparse
import platform
from collections.abc import Sequence
from typing import Optional

import torch
from torch import Tensor

from yolo_toolbox.analysis import (
    grid_sizes,
    head_anchors_strides,
    load_config,
    median_ms,
    random_gt,
    resolve_assigners,
    time_forward,
)
from yolo_toolbox.models.task_modules.assigners import ASSIGNER_ALIASES, AssignLevel
from yolo_toolbox.registry import MODELS, TASK_UTILS
from yolo_toolbox.structures import xyxy_to_cxcywh


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Assignment time vs forward time')
    parser.add_argument('--config', default='configs/yolo_r18_nearby.py',
                        help='model config (anchors, strides, forward pass)')
    parser.add_argument('--assigners', default='single,nearby,all',
                        help='comma-separated short names (single, nearby, all, '
                             f'{", ".join(ASSIGNER_ALIASES)}), registered names, or "config"')
    parser.add_argument('--batch-size', type=int, default=16, help='images')
    parser.add_argument('--num-gts', type=int, default=50, help='GT boxes per image')
    parser.add_argument('--shape', type=int, default=640, help='square input size (px)')
    parser.add_argument('--repeat', type=int, default=20, help='timed runs per assigner')
    parser.add_argument('--forward-repeat', type=int, default=3,
                        help='timed forward passes (0: skip the forward pass)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    return parser.parse_args(argv)


def random_levels(anchors: Tensor, strides: Sequence[int], input_hw: Sequence[int],
                  batch_size: int, num_classes: int, with_predictions: bool,
                  seed: int = 0) -> list[AssignLevel]:
    """One AssignLevel per scale; with ``with_predictions`` random boxes (cxcywh: the
    cell centre moved by up to one stride, the anchor scaled by 0.5-2) and scores."""
    gen = torch.Generator().manual_seed(seed)
    levels = []
    for level, (grid_size, stride) in enumerate(zip(grid_sizes(input_hw, strides), strides)):
        boxes = scores = None
        if with_predictions:
            num_anchors = anchors.shape[1]
            shape = (batch_size, num_anchors, *grid_size)
            ys, xs = torch.meshgrid(torch.arange(grid_size[0]), torch.arange(grid_size[1]),
                                    indexing='ij')
            centre = (torch.stack([xs, ys], dim=-1) + 0.5) * stride
            centre = centre + (torch.rand(*shape, 2, generator=gen) * 2 - 1) * stride
            wh = (anchors[level].cpu()[None, :, None, None]
                  * 2 ** (torch.rand(*shape, 2, generator=gen) * 2 - 1))
            boxes = torch.cat([centre, wh], dim=-1).to(anchors.device)
            scores = (torch.rand(*shape, num_classes, generator=gen) * 0.1).to(anchors.device)
        levels.append(AssignLevel(anchors[level], grid_size, stride, boxes, scores))
    return levels


def time_assign_levels(assigner, bboxes_labels: Tensor, levels: Sequence[AssignLevel],
                       repeat: int = 20) -> dict:
    """``dict(ms, num_pos)``: median ms of ``assigner.assign_levels`` on the batch
    (N, 6) ``[batch_idx, label, x1, y1, x2, y2]``, and the positives (all scales)."""
    gt_boxes = xyxy_to_cxcywh(bboxes_labels[:, 2:6].float())
    gt_labels = bboxes_labels[:, 1].long()
    batch_idx = bboxes_labels[:, 0].long()

    def run() -> list:
        return assigner.assign_levels(gt_boxes, gt_labels, batch_idx, levels)

    sync = torch.cuda.synchronize if bboxes_labels.is_cuda else (lambda: None)
    num_pos = sum(r.num_pos for r in run())
    return dict(ms=median_ms(run, repeat=repeat, sync=sync), num_pos=num_pos)


def build_named_assigners(names: str, cfg) -> dict:
    """``{display name: assigner}``; short names of ``ASSIGNER_ALIASES`` are accepted
    next to those of ``yolo_toolbox.analysis.resolve_assigners``."""
    names = [n.strip() for n in names.split(',') if n.strip()] or ['config']
    return {name: TASK_UTILS.build(
        next(iter(resolve_assigners([ASSIGNER_ALIASES.get(name, name)], cfg).values())))
        for name in names}


def main(argv: Optional[Sequence[str]] = None) -> list:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    anchors, strides = head_anchors_strides(cfg)
    anchors = anchors.to(args.device)
    num_classes = cfg.model.bbox_head.get('num_classes', 20)
    gt = random_gt(args.batch_size, args.num_gts, args.shape, num_classes).to(args.device)
    input_hw = (args.shape, args.shape)
    rows = []
    for name, assigner in build_named_assigners(args.assigners, cfg).items():
        levels = random_levels(anchors, strides, input_hw, args.batch_size, num_classes,
                               assigner.uses_predictions)
        result = time_assign_levels(assigner, gt, levels, args.repeat)
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
          f'strides {strides}, {anchors.shape[1]} anchors per scale; torch '
          f'{torch.__version__} on {args.device} ({device})')
    width = max(len(r[0]) for r in rows)
    print(f'| {"what":<{width}} | median ms | positives |')
    print(f'|{"-" * (width + 2)}|----------:|----------:|')
    for what, ms, num_pos in rows:
        print(f'| {what:<{width}} | {ms:9.1f} | {"" if num_pos is None else num_pos:>9} |')
    return rows


if __name__ == '__main__':
    main()
