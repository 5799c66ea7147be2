"""Write a held-out synthetic set (``glyphs`` or ``outlines``) in VOC layout.

    python tools/misc/make_heldout_dataset.py data/heldout_glyphs --kind glyphs
    python tools/misc/make_heldout_dataset.py data/heldout_outlines --kind outlines

These sets differ from the demo set in kind (object types, colours, sizes, densities,
image shapes; see :mod:`synthetic_data.heldout`, in
``tools/misc/synthetic_data/`` beside this script) and are used to judge detection
quality: nothing is tuned on them. Train on one with ``configs/heldout/*.py``.
"""
import argparse
import time
from typing import Optional, Sequence

from synthetic_data import HELDOUT_CLASSES, make_heldout_dataset  # tools/misc/synthetic_data/


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Write a held-out synthetic VOC-layout set')
    parser.add_argument('out_dir', help='output folder (the VOCdevkit-like data_root)')
    parser.add_argument('--kind', choices=sorted(HELDOUT_CLASSES), required=True)
    parser.add_argument('--num-train', type=int, default=600, help='images in trainval')
    parser.add_argument('--num-val', type=int, default=200, help='images in test')
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same set)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    start = time.time()
    info = make_heldout_dataset(args.out_dir, args.kind, args.num_train, args.num_val,
                                args.seed)
    print(f'wrote {info["num_train"]} trainval + {info["num_val"]} test images '
          f'({info["num_objects"]} objects, {info["num_difficult"]} difficult) under '
          f'{args.out_dir}/VOC2007 in {time.time() - start:.1f} s; classes: {info["classes"]}')
    return info


if __name__ == '__main__':
    main()
