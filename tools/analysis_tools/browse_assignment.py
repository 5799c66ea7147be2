"""Draw the label assignment of training images: per scale the grid, the GT boxes and
the cells / anchors each GT supervises.

    python tools/analysis_tools/browse_assignment.py CONFIG [--out-dir outputs/assignment]
        [--num-images 8] [--assigner NAME[,NAME...]] [--no-aug] [--anchor-outlines nearest]
        [--seed 0] [--cfg-options key=value ...]

Images go through the config's training pipeline (``--no-aug``: load, letterbox, pack)
and data preprocessor; the assigner is ``model.bbox_head.assigner`` or ``--assigner``
(``single``, ``nearby``, ``all``, any registered name, e.g. one of your own imported
with ``custom_imports``). Writes ``OUT_DIR/{i:04d}_{img_id}_{assigner}.png``, one PNG
per image and assigner with the scales side by side. No model is built.
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import DictAction

from yolo_toolbox.analysis import (
    assign_scales,
    build_assigners,
    build_train_dataset,
    head_anchors_strides,
    iter_gt_batches,
    load_config,
    result_for_image,
)
from yolo_toolbox.visualization.assignment_visualizer import (
    assignment_title,
    draw_assignment,
    save_rgb,
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Draw label assignment of training images')
    parser.add_argument('config', help='config file')
    parser.add_argument('--out-dir', default='outputs/assignment', help='folder for the PNGs')
    parser.add_argument('--num-images', type=int, default=8, help='number of images')
    parser.add_argument('--assigner', '--assigners', dest='assigners', default=None,
                        help='comma-separated: single, nearby, all, a registered name or '
                             '"config" (default: the configured model.bbox_head.assigner)')
    parser.add_argument('--no-aug', action='store_true',
                        help='letterbox only instead of the training augmentations')
    parser.add_argument('--anchor-outlines', default='nearest',
                        choices=['nearest', 'all', 'none'],
                        help='draw each assigned anchor at its cell nearest the GT centre, '
                             'at every assigned cell, or not')
    parser.add_argument('--panel-px', type=int, default=512, help='size of one scale panel')
    parser.add_argument('--seed', type=int, default=0, help='seed of the augmentations')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.dataset.data_root=x')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> list:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    assigners = build_assigners(args.assigners, cfg)
    anchors, strides = head_anchors_strides(cfg)
    dataset = build_train_dataset(cfg, no_aug=args.no_aug)
    classes = tuple(dataset.metainfo.get('classes', ()))
    os.makedirs(args.out_dir, exist_ok=True)
    written, offset = [], 0
    for batch in iter_gt_batches(cfg, args.num_images, batch_size=4, keep_images=True,
                                 seed=args.seed, dataset=dataset):
        gt_batch_idx = batch.bboxes_labels[:, 0].long()
        for name, assigner in assigners.items():
            results, _ = assign_scales(assigner, batch.bboxes_labels, batch.input_hw,
                                       anchors, strides)
            for i, meta in enumerate(batch.img_metas):
                gt = batch.bboxes_labels[gt_batch_idx == i]
                image = draw_assignment(
                    batch.images_bgr[i][..., ::-1], gt[:, 2:6].numpy(), gt[:, 1].long().numpy(),
                    [result_for_image(r, i, gt_batch_idx) for r in results], anchors.numpy(),
                    strides, classes, title=assignment_title(name, meta),
                    panel_px=args.panel_px, anchor_outlines=args.anchor_outlines)
                img_id = str(meta.get('img_id', offset + i)).replace('/', '_')
                path = osp.join(args.out_dir, f'{offset + i:04d}_{img_id}_{name}.png')
                save_rgb(image, path)
                written.append(path)
        offset += batch.num_images
    print(f'wrote {len(written)} images to {args.out_dir}')
    return written


if __name__ == '__main__':
    main()
