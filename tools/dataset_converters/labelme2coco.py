"""Convert a folder of labelme JSON files to one COCO JSON file that ``CocoDataset`` reads.

    python tools/dataset_converters/labelme2coco.py LABELME_DIR --out annotations/train.json \
        [--classes classes.txt]

Every ``*.json`` under LABELME_DIR (recursively) is a labelme file whose ``imagePath`` is
relative to it. ``rectangle`` shapes (two corners, any order) and ``polygon`` shapes
(their bounding box) become boxes; other shape types are errors. The classes are those of
the ``--classes`` file (one name a line, in label-id order; other labels are errors) or,
without it, every label found, sorted. ``--out`` may lie inside LABELME_DIR (it is not
read as a labelme file). Train on the result with
``CocoDataset(ann_file=OUT, data_prefix=dict(img_path=LABELME_DIR), ...)``. The logic is
:func:`yolo_toolbox.datasets.converters.labelme_to_coco`.
"""
import argparse
from typing import Optional, Sequence

from yolo_toolbox.datasets.converters import (
    labelme_to_coco,
    read_classes_file,
    save_coco_json,
    summary,
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert labelme JSON files to COCO JSON')
    parser.add_argument('labelme_dir', help='folder of the labelme .json files')
    parser.add_argument('--out', required=True, help='the COCO JSON file to write')
    parser.add_argument('--classes', help='class names file, one a line '
                                          '(default: all labels found, sorted)')
    parser.add_argument('--strict', action='store_true',
                        help='stop at boxes that leave the image, have zero area or are '
                             'inverted (default: clip / skip them with one warning)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    classes = read_classes_file(args.classes) if args.classes else None
    coco = labelme_to_coco(args.labelme_dir, classes, exclude=[args.out], strict=args.strict)
    save_coco_json(coco, args.out)
    print(summary(coco, args.out))
    return coco


if __name__ == '__main__':
    main()
