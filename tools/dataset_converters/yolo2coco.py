"""Convert YOLO txt labels to one COCO JSON file that ``CocoDataset`` reads.

    python tools/dataset_converters/yolo2coco.py IMG_DIR LABEL_DIR --classes classes.txt \
        --out annotations/train.json

IMG_DIR holds the images (searched recursively), LABEL_DIR a ``.txt`` file per image at
the same relative path with lines ``class cx cy w h`` (normalised to [0, 1]), and the
classes file one class name a line (line i is class id i). Image sizes are read from the
images; an image without a label file has no objects. Train on the result with
``CocoDataset(ann_file=OUT, data_prefix=dict(img_path=IMG_DIR), metainfo=dict(classes=...))``.
The logic is :func:`yolo_toolbox.datasets.converters.yolo_to_coco`.
"""
import argparse
from typing import Optional, Sequence

from yolo_toolbox.datasets.converters import save_coco_json, summary, yolo_to_coco


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert YOLO txt labels to COCO JSON')
    parser.add_argument('img_dir', help='folder of the images')
    parser.add_argument('label_dir', help='folder of the .txt label files (same relative paths)')
    parser.add_argument('--classes', required=True, help='class names file, one a line')
    parser.add_argument('--out', required=True, help='the COCO JSON file to write')
    parser.add_argument('--strict', action='store_true',
                        help='stop at boxes that leave the image, have zero area or are '
                             'inverted (default: clip / skip them with one warning)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    coco = yolo_to_coco(args.img_dir, args.label_dir, args.classes, strict=args.strict)
    save_coco_json(coco, args.out)
    print(summary(coco, args.out))
    return coco


if __name__ == '__main__':
    main()
