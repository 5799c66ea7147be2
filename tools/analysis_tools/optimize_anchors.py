"""Best possible recall of the current anchors, and k-means anchors for the dataset.

    python tools/analysis_tools/optimize_anchors.py CONFIG [--num-clusters 9]
        [--num-images N] [--iters 300] [--assigner NAME] [--no-aug] [--seed 0]
        [--cfg-options key=value ...]

Collects the GT of the training set (training pipeline, or letterbox only with
``--no-aug``) in network-input pixels, then

1. runs the configured assigner (or ``--assigner``) with the configured anchors and
   reports its best possible recall (BPR: share of GTs with at least one positive at
   some scale) and positives per GT: the assigner's own rule decides, so this holds
   for any assigner;
2. clusters the GT shapes with k-means (distance 1 - shape IoU, seeded), sorts the
   anchors by area, splits them smallest-first over the scales, and reports the BPR
   the same assigner would give with them;
3. prints the anchors as a config snippet.
"""
import argparse
from typing import Optional, Sequence

from mmengine.config import DictAction

from yolo_toolbox.analysis import (
    best_possible_recall,
    build_assigners,
    format_anchors,
    gt_wh,
    head_anchors_strides,
    iter_gt_batches,
    kmeans_anchors,
    load_config,
    mean_best_iou,
    split_by_scale,
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='BPR of the anchors and k-means anchors')
    parser.add_argument('config', help='config file')
    parser.add_argument('--num-clusters', type=int, default=9,
                        help='number of anchors, a multiple of the number of scales')
    parser.add_argument('--num-images', type=int, default=None,
                        help='first N training images (default: all)')
    parser.add_argument('--iters', type=int, default=300, help='k-means iterations at most')
    parser.add_argument('--assigner', default=None,
                        help='single, nearby, all or a registered name (default: the '
                             'configured model.bbox_head.assigner)')
    parser.add_argument('--no-aug', action='store_true',
                        help='letterbox only instead of the training augmentations')
    parser.add_argument('--batch-size', type=int, default=16, help='images per batch')
    parser.add_argument('--seed', type=int, default=0, help='seed of augmentations and k-means')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.dataset.data_root=x')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    (name, assigner), = build_assigners(args.assigner, cfg).items()
    anchors, strides = head_anchors_strides(cfg)
    batches = list(iter_gt_batches(cfg, args.num_images, no_aug=args.no_aug,
                                   batch_size=args.batch_size, seed=args.seed))
    wh = gt_wh(batches)
    current = best_possible_recall(assigner, batches, anchors, strides)
    fitted = split_by_scale(
        kmeans_anchors(wh, args.num_clusters, args.iters, args.seed).round().clamp(min=1),
        len(strides))
    proposed = best_possible_recall(assigner, batches, fitted, strides)
    print(f'{current["num_gts"]} GTs in {sum(b.num_images for b in batches)} images, '
          f'assigner {name}')
    for label, anchor_set, result in (('current', anchors, current),
                                      ('k-means', fitted, proposed)):
        print(f'{label:8s} anchors: BPR {result["bpr"]:.4f}, {result["pos_per_gt"]:.2f} '
              f'positives per GT, mean best shape IoU {mean_best_iou(wh, anchor_set):.3f}')
    print('\n# k-means anchors (w, h in input pixels), small to large scale:')
    print(format_anchors(fitted))
    return dict(assigner=name, current=current, proposed=proposed, anchors=fitted)


if __name__ == '__main__':
    main()
