"""Write augmented training samples with their GT boxes drawn, to check a pipeline by eye.

    python tools/analysis_tools/browse_dataset.py CONFIG --output-dir DIR --not-show [--num 20]
        [--phase train|val|test] [--show-interval 2] [--cfg-options key=value ...]

Builds ``cfg.{phase}_dataloader.dataset``, runs its pipeline and saves
``DIR/{i:04d}_{image id}.jpg``: the packed network input, GT boxes in their class colour
with the class name, ignored (``difficult``) boxes in grey. For val/test the GT is in
original-image pixels, so it is mapped through ``scale_factor``/``pad_param`` first.
Without ``--not-show`` each sample is also shown in a window for ``--show-interval``
seconds where a window can be opened (MMDetection's flags; ``--out-dir`` is the same as
``--output-dir``).
"""
import argparse
import os
import os.path as osp
import sys
from typing import Optional, Sequence

import cv2
import numpy as np
from mmengine.config import DictAction

IGNORED_COLOUR = (160, 160, 160)  # BGR


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Save pipeline outputs with GT boxes drawn')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', '--out-dir', dest='out_dir', default=None,
                        help='If there is no display interface, you can save it')
    parser.add_argument('--not-show', default=False, action='store_true')
    parser.add_argument('--show-interval', type=float, default=2,
                        help='the interval of show (s)')
    parser.add_argument('--num', type=int, default=20, help='number of samples')
    parser.add_argument('--phase', default='train', choices=['train', 'val', 'test'],
                        help='which dataloader dataset to browse')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.dataset.data_root=x')
    args = parser.parse_args(argv)
    if args.out_dir is None and args.not_show:
        parser.error('nothing to do: give --output-dir DIR, or leave out --not-show')
    return args


def show(img, interval: float, name: str = 'browse_dataset') -> bool:
    """Show a BGR image in a window for ``interval`` seconds (0: until a key); False when
    no window can be opened (no display, or OpenCV built without GUI)."""
    if sys.platform.startswith('linux') and not (os.environ.get('DISPLAY')
                                                 or os.environ.get('WAYLAND_DISPLAY')):
        return False  # Qt builds of OpenCV abort the process instead of raising
    try:
        cv2.imshow(name, img)
        cv2.waitKey(int(interval * 1000))
        return True
    except cv2.error:
        return False


def draw_sample(packed: dict, classes: Sequence[str], palette: Sequence[tuple],
                to_input_pixels: bool = False) -> np.ndarray:
    """BGR uint8 image of a ``PackDetInputs`` output with its GT drawn."""
    img = np.ascontiguousarray(packed['inputs'].permute(1, 2, 0).numpy())
    sample = packed['data_samples']
    scale_w, scale_h = sample.metainfo.get('scale_factor', (1.0, 1.0))
    top, _, left, _ = sample.metainfo.get('pad_param', np.zeros(4))
    for field, ignored in (('gt_instances', False), ('ignored_instances', True)):
        if field not in sample:
            continue
        instances = getattr(sample, field)
        for box, label in zip(instances.bboxes.tolist(), instances.labels.tolist()):
            if to_input_pixels:  # val/test GT is in original-image pixels
                box = [box[0] * scale_w + left, box[1] * scale_h + top,
                       box[2] * scale_w + left, box[3] * scale_h + top]
            x1, y1, x2, y2 = (int(round(v)) for v in box)
            rgb = palette[label % len(palette)] if palette else (0, 255, 0)
            colour = IGNORED_COLOUR if ignored else tuple(int(c) for c in rgb[::-1])
            name = classes[label] if label < len(classes) else str(label)
            cv2.rectangle(img, (x1, y1), (max(x1, x2 - 1), max(y1, y2 - 1)), colour, 1)
            cv2.putText(img, name + (' (ignored)' if ignored else ''), (x1, max(10, y1 - 3)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)
    return img


def main(argv: Optional[Sequence[str]] = None) -> list:
    args = parse_args(argv)
    from yolo_toolbox.registry import DATASETS
    from yolo_toolbox.utils import load_config
    cfg = load_config(args.config, args.cfg_options)

    dataset = DATASETS.build(cfg[f'{args.phase}_dataloader']['dataset'])
    classes, palette = dataset.metainfo['classes'], dataset.metainfo.get('palette') or []
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
    written = []
    for i in range(min(args.num, len(dataset))):
        packed = dataset[i]
        img = draw_sample(packed, classes, palette, to_input_pixels=args.phase != 'train')
        img_id = str(packed['data_samples'].metainfo.get('img_id', i)).replace('/', '_')
        if not args.not_show and not show(img, args.show_interval):
            args.not_show = True
            if not args.out_dir:
                raise SystemExit('cannot open a window (no display, or OpenCV without GUI): '
                                 'use --output-dir DIR --not-show')
            print('cannot open a window (no display, or OpenCV without GUI): only writing '
                  f'the samples to {args.out_dir}')
        if args.out_dir:
            path = osp.join(args.out_dir, f'{i:04d}_{img_id}.jpg')
            cv2.imwrite(path, img)
            written.append(path)
    if args.out_dir:
        print(f'wrote {len(written)} samples to {args.out_dir}')
    return written


if __name__ == '__main__':
    main()
