"""Datasets in COCO-JSON format (read with pycocotools)."""
import contextlib
import io
import os.path as osp
from typing import List

from yolo_toolbox.registry import DATASETS

from .base_det_dataset import BaseDetDataset, make_palette

COCO_CLASSES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
    'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
    'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
    'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
    'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich',
    'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
    'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
    'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book',
    'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush')


@DATASETS.register_module()
class CocoDataset(BaseDetDataset):
    """COCO-format detection dataset.

    Category *names* in the JSON are mapped to contiguous label ids in the order of
    ``metainfo['classes']`` (default: the 80 COCO classes), so the JSON's category ids
    may be anything. ``iscrowd=1`` (or ``ignore=1``) objects get ``ignore_flag=1``.
    Boxes ``[x, y, w, h]`` become ``[x, y, x + w, y + h]`` pixels, clipped to the image.

    Args:
        ann_file: the JSON file (relative to ``data_root`` unless absolute).
        data_prefix: ``dict(img_path='images/train/')``: folder of the ``file_name`` s,
            relative to ``data_root`` unless absolute.
        filter_unknown_classes: ``False``: an object whose category is not in the class
            list is an error. ``True``: such objects are skipped, with a logged count.
        min_box_area: boxes with area ``<=`` this (pixels^2) are dropped; zero-area
            boxes always are. The count is logged once.
        **kwargs: ``BaseDetDataset`` / mmengine ``BaseDataset`` arguments (``data_root``,
            ``metainfo``, ``pipeline``, ``test_mode``, ``filter_cfg``, ``lazy_init``, ...).

    Raises (at load time, naming the file): ``FileNotFoundError`` for a missing JSON or
    image; ``ValueError`` for a JSON without images, unknown categories or missing
    fields. Boxes that leave the image, zero-area and negative-size boxes:
    ``box_check`` (``BaseDetDataset``).
    """

    METAINFO = dict(classes=COCO_CLASSES, palette=make_palette(len(COCO_CLASSES)))

    def __init__(self, ann_file: str, filter_unknown_classes: bool = False,
                 min_box_area: float = 0.0, **kwargs) -> None:
        self.filter_unknown_classes = filter_unknown_classes
        super().__init__(ann_file=ann_file, min_box_area=min_box_area, **kwargs)

    def load_data_list(self) -> List[dict]:
        from pycocotools.coco import COCO

        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'CocoDataset: annotation file {self.ann_file} does not exist')
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
                coco = COCO(self.ann_file)
        except Exception as e:
            raise ValueError(f'{self.ann_file}: cannot read COCO JSON: {e}') from e
        class_to_label = self.class_to_label
        cat_to_label, unknown_cats = {}, {}
        for cat_id, cat in coco.cats.items():
            if cat['name'] in class_to_label:
                cat_to_label[cat_id] = class_to_label[cat['name']]
            else:
                unknown_cats[cat_id] = cat['name']

        if not coco.getImgIds():
            raise ValueError(f'CocoDataset: annotation file {self.ann_file} lists no images')
        data_list, num_unknown = [], 0
        for img_id in sorted(coco.getImgIds()):
            img_info = coco.imgs[img_id]
            where = f'{self.ann_file} (image id {img_id})'
            for key in ('file_name', 'width', 'height'):
                if key not in img_info:
                    raise ValueError(f'{where}: image entry has no {key!r}')
            img_path = osp.join(self.data_prefix.get('img_path', ''), img_info['file_name'])
            if not osp.isfile(img_path):
                raise FileNotFoundError(f'CocoDataset: image {img_path} (from {self.ann_file}) '
                                        'does not exist; check data_root and data_prefix')
            width, height = float(img_info['width']), float(img_info['height'])
            instances = []
            for ann in coco.imgToAnns.get(img_id, []):
                cat_id = ann.get('category_id')
                if cat_id not in cat_to_label:
                    if self.filter_unknown_classes:
                        num_unknown += 1
                        continue
                    name = unknown_cats.get(cat_id, f'<category id {cat_id} not in categories>')
                    raise ValueError(self.unknown_class_message(name, where) +
                                     ' Or set filter_unknown_classes=True to skip such objects.')
                if 'bbox' not in ann or len(ann['bbox']) != 4:
                    raise ValueError(f'{where}: annotation id {ann.get("id")} has no 4-number bbox')
                x, y, w, h = (float(v) for v in ann['bbox'])
                box = self.clip_and_check_box([x, y, x + w, y + h], width, height,
                                              f'{where}, annotation id {ann.get("id")}',
                                              file=img_info['file_name'])
                if box is None:
                    continue
                ignore = bool(ann.get('iscrowd', 0)) or bool(ann.get('ignore', 0))
                instances.append(dict(bbox=box, bbox_label=cat_to_label[cat_id],
                                      ignore_flag=int(ignore)))
            data_list.append(dict(img_path=img_path, img_id=img_id, height=int(height),
                                  width=int(width), instances=instances))
        self.log_dropped(num_unknown, 'objects of categories not in metainfo classes '
                                      '(filter_unknown_classes=True)')
        return data_list
