"""Label-assignment statistics of one or more assigners over the training set.

    python tools/analysis_tools/assignment_stats.py CONFIG [--assigners single,nearby,all]
        [--num-images N] [--out-dir outputs/assignment_stats] [--no-aug] [--batch-size 16]
        [--seed 0] [--cfg-options key=value ...]

Per assigner and scale (and all scales together): positives per GT (mean and share of
GTs with 0, 1, 2, 3-5, 6-10, >10), share of GTs with no positive, slots contested by
several GTs before conflict resolution and the candidates that resolution dropped, and
positives per GT by COCO size (small < 32^2 <= medium < 96^2 px^2 <= large, input
pixels), and positives out of the assigner's declared reach (should be 0). Definitions:
:mod:`yolo_toolbox.analysis.assignment_stats`.

``--assigners`` takes short names (single, nearby, all: the seed assigners with the
config's match_iou_thres / filter_by_max_iou), registered names (your own, imported with
the config's ``custom_imports``) or ``config``; default: ``model.bbox_head.assigner``.
Every assigner sees the same augmented batches. Prints a table and writes
``OUT_DIR/assignment_stats.csv`` and ``OUT_DIR/assignment_stats.png``. A progress bar
with ETA runs over the batches.
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import DictAction

from yolo_toolbox.analysis import (
    AssignmentStats,
    assign_scales,
    build_assigners,
    format_table,
    grid_sizes,
    head_anchors_strides,
    iter_gt_batches,
    load_config,
    plot_stats,
    write_csv,
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Label-assignment statistics')
    parser.add_argument('config', help='config file')
    parser.add_argument('--assigners', default=None,
                        help='comma-separated: single, nearby, all, registered names or '
                             '"config" (default: the configured assigner)')
    parser.add_argument('--num-images', type=int, default=None,
                        help='first N training images (default: all)')
    parser.add_argument('--out-dir', default='outputs/assignment_stats',
                        help='folder for the CSV and the plot')
    parser.add_argument('--no-aug', action='store_true',
                        help='letterbox only instead of the training augmentations')
    parser.add_argument('--batch-size', type=int, default=16, help='images per batch')
    parser.add_argument('--num-workers', type=int, default=0, help='dataloader workers')
    parser.add_argument('--seed', type=int, default=0, help='seed of the augmentations')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.dataset.data_root=x')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> list:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    assigners = build_assigners(args.assigners, cfg)
    anchors, strides = head_anchors_strides(cfg)
    stats = {name: AssignmentStats(strides, getattr(a, 'reach', None))
             for name, a in assigners.items()}
    for batch in iter_gt_batches(cfg, args.num_images, no_aug=args.no_aug,
                                 batch_size=args.batch_size, num_workers=args.num_workers,
                                 seed=args.seed, progress=True):
        sizes = grid_sizes(batch.input_hw, strides)
        for name, assigner in assigners.items():
            results, candidates = assign_scales(assigner, batch.bboxes_labels, batch.input_hw,
                                                anchors, strides, record=True)
            stats[name].update(batch.bboxes_labels, results, candidates, batch.num_images,
                               anchors.shape[1], sizes)
    rows = [row for name, s in stats.items() for row in s.summary(name)]
    print(format_table(rows))
    os.makedirs(args.out_dir, exist_ok=True)
    write_csv(rows, osp.join(args.out_dir, 'assignment_stats.csv'))
    plot_stats(rows, osp.join(args.out_dir, 'assignment_stats.png'))
    print(f'wrote assignment_stats.csv and assignment_stats.png to {args.out_dir}')
    return rows


if __name__ == '__main__':
    main()
