"""Convert VOC-layout annotations (years + split) to one COCO JSON file.

    python tools/dataset_converters/voc2coco.py data/VOCdevkit --years VOC2007 VOC2012 \
        --split trainval --out data/VOCdevkit/annotations/voc0712_trainval.json \
        [--classes classes.txt] [--difficult-as-gt] [--img-suffix .jpg] [--strict]

Reads ``{year}/ImageSets/Main/{split}.txt``, ``{year}/Annotations/{id}.xml`` and checks
``{year}/JPEGImages/{id}.jpg`` exists. Boxes become 0-based pixels as ``VOCDataset`` makes
them; ``difficult`` objects are written with ``ignore=1`` (ignored GT) unless
``--difficult-as-gt``. Without ``--classes`` the 20 VOC classes are used. Boxes that
leave the image are clipped, wholly outside / zero-area / inverted ones skipped, with one
warning naming the files (as ``VOCDataset``); ``--strict`` stops with that list. Train on the
result with ``CocoDataset(ann_file=OUT, data_prefix=dict(img_path='data/VOCdevkit/'), ...)``:
it gives the same boxes, labels and ignore flags as ``VOCDataset``. The logic is
:func:`yolo_toolbox.datasets.converters.voc_to_coco`.
"""
import argparse
from typing import Optional, Sequence

from yolo_toolbox.datasets import VOC_CLASSES
from yolo_toolbox.datasets.converters import (
    read_classes_file,
    save_coco_json,
    summary,
    voc_to_coco,
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert VOC-layout annotations to COCO JSON')
    parser.add_argument('devkit_dir', help='the VOCdevkit folder (VOCDataset data_root)')
    parser.add_argument('--years', nargs='+', required=True, help='e.g. VOC2007 VOC2012')
    parser.add_argument('--split', required=True, help='image set, e.g. trainval or test')
    parser.add_argument('--out', required=True, help='the COCO JSON file to write')
    parser.add_argument('--classes', help='class names file, one a line (default: VOC 20)')
    parser.add_argument('--difficult-as-gt', action='store_true',
                        help='write difficult objects as ordinary ones (default: ignored)')
    parser.add_argument('--img-suffix', default='.jpg', help='image file extension')
    parser.add_argument('--strict', action='store_true',
                        help='stop at boxes that leave the image, have zero area or are '
                             'inverted (default: clip / skip them with one warning)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    classes = read_classes_file(args.classes) if args.classes else VOC_CLASSES
    coco = voc_to_coco(args.devkit_dir, args.years, args.split, classes,
                       difficult_as_gt=args.difficult_as_gt, img_suffix=args.img_suffix,
                       strict=args.strict)
    save_coco_json(coco, args.out)
    print(summary(coco, args.out))
    return coco


if __name__ == '__main__':
    main()
