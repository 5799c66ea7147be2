"""One VOC-layout set -> the layout Ultralytics trains on, plus the VOC set both sides use.

Run in the project's venv. Writes under OUT:

- ``voc/VOC2007/``: the VOC set our configs read (``data_root=OUT/voc/``): symlinks to the
  source's ``JPEGImages`` and ``Annotations`` and, with ``--num-train`` / ``--num-val``,
  shortened ``ImageSets/Main/{trainval,test}.txt`` (the first N ids; for smoke tests);
- ``yolo/``: ``images/{train,val}``, ``labels/{train,val}`` written by the toolbox's own
  converter (:func:`yolo_toolbox.datasets.converters.voc_to_yolo.voc_to_yolo`, boxes exactly
  as ``VOCDataset`` reads them) and ``yolo/data.yaml`` with an absolute ``path``.

Difficult objects: our training never sees them as objects (``VOCDataset`` flags them
``ignore_flag=1``, the heads train on ``gt_instances`` only, so the area is background) and
our metric ignores them. Ultralytics' labels have no ignore flag, so by default they are
left out of its labels too (``--difficult drop``): both systems train on the same boxes.
Scoring never uses these labels: ``compare.py`` scores both systems on the VOC XML with the
same metric (difficult = ignored). ``--difficult keep`` writes them as ordinary objects.

    python projects/ultralytics_comparison/prepare_data.py /work/main/data/heldout_glyphs \
        work_dirs/ultra22/glyphs/data --classes A H S 4 X
"""
import argparse
import json
import os
import os.path as osp
import shutil

from yolo_toolbox.datasets.converters.voc_to_yolo import voc_to_yolo


def _ids(path):
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]


def make_voc_view(src_year, dst_year, num_train=None, num_val=None):
    """A VOC year folder of symlinks, with the splits cut to the first N ids."""
    os.makedirs(osp.join(dst_year, 'ImageSets', 'Main'), exist_ok=True)
    for sub in ('JPEGImages', 'Annotations'):
        link = osp.join(dst_year, sub)
        if osp.islink(link):
            os.remove(link)
        os.symlink(osp.abspath(osp.join(src_year, sub)), link)
    counts = {}
    for split, num in (('trainval', num_train), ('test', num_val)):
        ids = _ids(osp.join(src_year, 'ImageSets', 'Main', f'{split}.txt'))
        ids = ids[:num] if num else ids
        with open(osp.join(dst_year, 'ImageSets', 'Main', f'{split}.txt'), 'w') as f:
            f.write(''.join(i + '\n' for i in ids))
        counts[split] = len(ids)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('voc_root', help='folder holding VOC2007/ (a held-out set)')
    parser.add_argument('out', help='output folder (not inside /work/main/data)')
    parser.add_argument('--classes', nargs='+', required=True, help='class names, label order')
    parser.add_argument('--year', default='VOC2007')
    parser.add_argument('--num-train', type=int, default=None, help='first N trainval ids')
    parser.add_argument('--num-val', type=int, default=None, help='first N test ids')
    parser.add_argument('--difficult', choices=('drop', 'keep'), default='drop')
    args = parser.parse_args()

    voc_year = osp.join(args.out, 'voc', args.year)
    counts = make_voc_view(osp.join(args.voc_root, args.year), voc_year, args.num_train,
                           args.num_val)
    yolo_dir = osp.join(args.out, 'yolo')
    if osp.isdir(yolo_dir):
        shutil.rmtree(yolo_dir)
    voc_to_yolo(voc_year, yolo_dir, args.classes, {'train': 'trainval', 'val': 'test'},
                drop_difficult=args.difficult == 'drop')
    with open(osp.join(yolo_dir, 'data.yaml'), 'w') as f:  # absolute path, quoted names
        f.write(f'path: {osp.abspath(yolo_dir)}\ntrain: images/train\nval: images/val\n'
                f'names: {json.dumps(list(args.classes))}\n')
    print(f'{counts["trainval"]} train / {counts["test"]} val images; VOC view {voc_year}; '
          f'Ultralytics data {osp.join(yolo_dir, "data.yaml")} (difficult: {args.difficult})')


if __name__ == '__main__':
    main()
