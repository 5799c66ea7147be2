"""Write the synthetic demo set (4 shape classes) in VOC layout.

    python tools/misc/make_demo_dataset.py data/demo [--num-train 240] [--num-val 60] [--seed 0]
    python tools/misc/make_demo_dataset.py data/demo_yolo --format yolo   # Ultralytics layout

Result: OUT_DIR/VOC2007/{JPEGImages, Annotations, ImageSets/Main/{trainval,test}.txt}.
Train on it with ``VOCDataset(data_root=OUT_DIR, years=('VOC2007',), split='trainval',
metainfo=dict(classes=('ellipse', 'rectangle', 'triangle', 'star')))`` and
``model.bbox_head.num_classes=4``. ``--format yolo`` writes the same images as
OUT_DIR/{images,labels}/{train,val}/ and OUT_DIR/data.yaml (configs/demo/yolo_demo_yolo_txt.py
trains on it with ``YOLOTxtDataset``). The generator is
:func:`synthetic_data.demo.make_demo_dataset` (``tools/misc/synthetic_data/``, beside this
script; not part of the ``yolo_toolbox`` package).
"""
import argparse
import os.path as osp
import tempfile
from typing import Optional, Sequence

from synthetic_data import make_demo_dataset  # tools/misc/synthetic_data/

from yolo_toolbox.datasets.converters.voc_to_yolo import voc_to_yolo


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Write a small synthetic VOC-layout dataset')
    parser.add_argument('out_dir', help='output folder (the VOCdevkit-like data_root)')
    parser.add_argument('--num-train', type=int, default=240, help='images in trainval')
    parser.add_argument('--num-val', type=int, default=60, help='images in test')
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same set)')
    parser.add_argument('--format', choices=['voc', 'yolo'], default='voc',
                        help='VOC layout (default) or YOLO layout (images/, labels/, data.yaml)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.format == 'yolo':
        with tempfile.TemporaryDirectory() as tmp:
            info = make_demo_dataset(tmp, args.num_train, args.num_val, args.seed)
            counts = voc_to_yolo(osp.join(tmp, 'VOC2007'), args.out_dir, info['classes'],
                                 dict(train='trainval', val='test'))
        print(f'wrote {counts["train"]} train + {counts["val"]} val images '
              f'({info["num_objects"]} objects) in YOLO layout; data.yaml: '
              f'{osp.join(args.out_dir, "data.yaml")}; classes: {info["classes"]}')
        return info
    info = make_demo_dataset(args.out_dir, args.num_train, args.num_val, args.seed)
    print(f'wrote {info["num_train"]} trainval + {info["num_val"]} test images '
          f'({info["num_objects"]} objects, {info["num_difficult"]} difficult) under '
          f'{args.out_dir}/VOC2007; classes: {info["classes"]}')
    return info


if __name__ == '__main__':
    main()
