"""A VOC-layout year folder -> the YOLO layout that :class:`YOLOTxtDataset` reads.

Used by ``tools/misc/make_demo_dataset.py --format yolo``. VOC's 1-based inclusive
``[xmin, ymin, xmax, ymax]`` becomes 0-based pixels ``[xmin - 1, ymin - 1, xmax, ymax]``
(as ``VOCDataset`` reads it), then normalised ``cx cy w h``. YOLO labels have no
``difficult`` flag: difficult objects become ordinary ones, or with ``drop_difficult`` are
left out (what a toolbox model trains on: ``VOCDataset`` gives them ``ignore_flag=1`` and
the heads train on ``gt_instances`` only).
"""
import os
import os.path as osp
import shutil
from typing import Dict, Sequence

from ..voc import parse_voc_xml


def voc_to_yolo(voc_year_dir: str, out_dir: str, classes: Sequence[str],
                splits: Dict[str, str], drop_difficult: bool = False) -> Dict[str, int]:
    """Copy the images of ``splits`` (``{yolo split: VOC image set}``, e.g.
    ``{'train': 'trainval', 'val': 'test'}``) to ``out_dir/images/{split}/``, write
    ``out_dir/labels/{split}/*.txt`` and ``out_dir/data.yaml``. Returns images per split.
    ``drop_difficult``: leave VOC ``difficult`` objects out of the labels."""
    class_id = {name: i for i, name in enumerate(classes)}
    counts = {}
    for split, image_set in splits.items():
        with open(osp.join(voc_year_dir, 'ImageSets', 'Main', f'{image_set}.txt')) as f:
            ids = [line.split()[0] for line in f if line.strip()]
        for sub in ('images', 'labels'):
            os.makedirs(osp.join(out_dir, sub, split), exist_ok=True)
        for img_id in ids:
            shutil.copy(osp.join(voc_year_dir, 'JPEGImages', img_id + '.jpg'),
                        osp.join(out_dir, 'images', split, img_id + '.jpg'))
            width, height, objects = parse_voc_xml(
                osp.join(voc_year_dir, 'Annotations', img_id + '.xml'))
            lines = []
            for obj in objects:
                if drop_difficult and obj['difficult']:
                    continue
                xmin, ymin, xmax, ymax = obj['bndbox']
                x1, y1 = xmin - 1, ymin - 1
                lines.append(f'{class_id[obj["name"]]} {(x1 + xmax) / 2 / width:.6f} '
                             f'{(y1 + ymax) / 2 / height:.6f} {(xmax - x1) / width:.6f} '
                             f'{(ymax - y1) / height:.6f}\n')
            with open(osp.join(out_dir, 'labels', split, img_id + '.txt'), 'w') as f:
                f.writelines(lines)
        counts[split] = len(ids)
    with open(osp.join(out_dir, 'data.yaml'), 'w') as f:
        f.write('path: .\n' + ''.join(f'{s}: images/{s}\n' for s in splits) +
                f'names: [{", ".join(classes)}]\n')
    return counts
