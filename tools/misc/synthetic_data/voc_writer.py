"""Write generated images and their boxes in VOC layout (shared by the demo and held-out sets)."""
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Callable, List, Tuple

import cv2
import numpy as np


def _write_xml(path: str, filename: str, width: int, height: int, objects: List[dict]) -> None:
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = 'VOC2007'
    ET.SubElement(root, 'filename').text = filename
    size = ET.SubElement(root, 'size')
    for tag, value in (('width', width), ('height', height), ('depth', 3)):
        ET.SubElement(size, tag).text = str(value)
    ET.SubElement(root, 'segmented').text = '0'
    for obj in objects:
        node = ET.SubElement(root, 'object')
        ET.SubElement(node, 'name').text = obj['name']
        ET.SubElement(node, 'pose').text = 'Unspecified'
        ET.SubElement(node, 'truncated').text = str(obj['truncated'])
        ET.SubElement(node, 'difficult').text = str(obj['difficult'])
        bndbox = ET.SubElement(node, 'bndbox')
        x1, y1, x2, y2 = obj['box']
        # VOC: 1-based inclusive pixel indices; 0-based [x1, x2) -> [x1 + 1, x2]
        for tag, value in (('xmin', x1 + 1), ('ymin', y1 + 1), ('xmax', x2), ('ymax', y2)):
            ET.SubElement(bndbox, tag).text = str(value)
    ET.indent(root)
    ET.ElementTree(root).write(path)


def write_voc_set(out_dir: str, year: str, num_train: int, num_val: int,
                  make_image: Callable[[int], Tuple[np.ndarray, List[dict]]],
                  jpeg_quality: int) -> Tuple[int, int]:
    """Write images ``make_image(i)`` for i < num_train + num_val in VOC layout under
    ``out_dir/year`` (JPEGImages, Annotations, ImageSets/Main/{trainval,test}.txt; the
    first ``num_train`` ids are trainval). Returns (objects, difficult objects) written."""
    root = osp.join(out_dir, year)
    for sub in ('JPEGImages', 'Annotations', osp.join('ImageSets', 'Main')):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    splits = {'trainval': [], 'test': []}
    num_objects = num_difficult = 0
    for i in range(num_train + num_val):
        img_id = f'{i:06d}'
        img, objects = make_image(i)
        cv2.imwrite(osp.join(root, 'JPEGImages', img_id + '.jpg'), img,
                    [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        _write_xml(osp.join(root, 'Annotations', img_id + '.xml'), img_id + '.jpg',
                   img.shape[1], img.shape[0], objects)
        splits['trainval' if i < num_train else 'test'].append(img_id)
        num_objects += len(objects)
        num_difficult += sum(obj['difficult'] for obj in objects)
    for name, ids in splits.items():
        with open(osp.join(root, 'ImageSets', 'Main', f'{name}.txt'), 'w') as f:
            f.write(''.join(f'{img_id}\n' for img_id in ids))
    return num_objects, num_difficult
