"""Pascal VOC (and any dataset in VOC layout): XML annotations, one file per image.

Layout under ``data_root`` (a VOCdevkit folder)::

    {year}/ImageSets/Main/{split}.txt     image ids, one a line
    {year}/JPEGImages/{id}.jpg
    {year}/Annotations/{id}.xml
"""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence, Tuple, Union

from yolo_toolbox.registry import DATASETS

from .base_det_dataset import BaseDetDataset, make_palette

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair',
               'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
               'sheep', 'sofa', 'train', 'tvmonitor')


@DATASETS.register_module()
class VOCDataset(BaseDetDataset):
    """VOC-layout detection dataset.

    VOC coordinates are 1-based inclusive pixel indices; they become 0-based
    continuous pixels ``[xmin - 1, ymin - 1, xmax, ymax]`` (MMDetection 3.x subtracts 1
    from all four; docs/differences_from_mmdet.md), clipped
    to the image size given in the XML.

    Args:
        data_root: the VOCdevkit folder.
        years: sub-folders to read, e.g. ``('VOC2007', 'VOC2012')`` or ``'VOC2007'``.
        split: image-set name; ids come from ``{year}/ImageSets/Main/{split}.txt``.
        difficult_as_gt: ``False``: objects marked ``difficult`` get ``ignore_flag=1``
            (neither hit nor miss in evaluation, as the VOC/COCO tools do). ``True``:
            they are ordinary objects (the original system's behaviour).
        min_box_area: boxes with area ``<=`` this (pixels^2) are dropped; zero-area
            boxes always are. The count is logged once.
        img_subdir / ann_subdir / img_suffix: names inside each year folder.
        **kwargs: ``BaseDetDataset`` / mmengine ``BaseDataset`` arguments (``pipeline``,
            ``metainfo``, ``test_mode``, ``filter_cfg``, ``lazy_init``, ...).
            ``metainfo=dict(classes=(...))`` replaces the 20 VOC classes.

    Raises (at load time, each message names the file): ``FileNotFoundError`` for a
    missing split file, image or XML; ``ValueError`` for an empty split file, malformed
    XML (unparsable, missing ``size``/``name``/``bndbox`` fields, non-numeric
    coordinates) and for class names not in ``metainfo['classes']``. Boxes that leave
    the image, zero-area and inverted boxes: ``box_check`` (``BaseDetDataset``).
    """

    METAINFO = dict(classes=VOC_CLASSES, palette=make_palette(len(VOC_CLASSES)))

    def __init__(self, data_root: str, years: Union[str, Sequence[str]] = ('VOC2007', 'VOC2012'),
                 split: str = 'trainval', difficult_as_gt: bool = False,
                 min_box_area: float = 0.0, img_subdir: str = 'JPEGImages',
                 ann_subdir: str = 'Annotations', img_suffix: str = '.jpg', **kwargs) -> None:
        self.years = (years, ) if isinstance(years, str) else tuple(years)
        if not self.years:
            raise ValueError('VOCDataset: `years` is empty; give at least one, e.g. "VOC2007"')
        self.split = split
        self.difficult_as_gt = difficult_as_gt
        self.img_subdir, self.ann_subdir, self.img_suffix = img_subdir, ann_subdir, img_suffix
        super().__init__(data_root=data_root, min_box_area=min_box_area, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.data_root):
            raise FileNotFoundError(f'VOCDataset: data_root {self.data_root} is not a folder')
        splits = {year: self._read_split(year) for year in self.years}  # all checked first
        data_list, seen = [], {}
        for year, img_ids in splits.items():
            for img_id in img_ids:
                if img_id in seen:
                    raise ValueError(f'VOCDataset: image id {img_id!r} appears twice '
                                     f'({seen[img_id]} and {year}); ids must be unique')
                seen[img_id] = year
                data_list.append(self._load_one(year, img_id))
        return data_list  # clipped / dropped boxes: one warning, BaseDetDataset.report_boxes

    def _read_split(self, year: str) -> List[str]:
        path = osp.join(self.data_root, year, 'ImageSets', 'Main', f'{self.split}.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(f'VOCDataset: split file {path} does not exist (check '
                                    f'data_root, years={self.years} and split={self.split!r})')
        with open(path) as f:
            # class-specific split files have "id  1" lines: the id is the first token
            img_ids = [line.split()[0] for line in f if line.strip()]
        if not img_ids:
            raise ValueError(f'VOCDataset: split file {path} is empty: it must list the '
                             'image ids of the split, one a line')
        return img_ids

    def _load_one(self, year: str, img_id: str) -> dict:
        img_path = osp.join(self.data_root, year, self.img_subdir, img_id + self.img_suffix)
        xml_path = osp.join(self.data_root, year, self.ann_subdir, img_id + '.xml')
        if not osp.isfile(img_path):
            raise FileNotFoundError(f'VOCDataset: image {img_path} (listed in the {year} '
                                    f'{self.split!r} split) does not exist')
        if not osp.isfile(xml_path):
            raise FileNotFoundError(f'VOCDataset: annotation {xml_path} does not exist')
        width, height, objects = parse_voc_xml(xml_path)
        class_to_label = self.class_to_label
        instances = []
        for obj in objects:
            if obj['name'] not in class_to_label:
                raise ValueError(self.unknown_class_message(obj['name'], xml_path))
            xmin, ymin, xmax, ymax = obj['bndbox']
            where = (f'{xml_path}: object {obj["name"]!r} with VOC bndbox '
                     f'{[xmin, ymin, xmax, ymax]}')
            box = self.clip_and_check_box([xmin - 1, ymin - 1, xmax, ymax], width, height,
                                          where, file=xml_path)
            if box is None:
                continue
            ignore = obj['difficult'] and not self.difficult_as_gt
            instances.append(dict(bbox=box, bbox_label=class_to_label[obj['name']],
                                  ignore_flag=int(ignore)))
        return dict(img_path=img_path, img_id=img_id, height=height, width=width,
                    instances=instances)


def _text(elem: ET.Element, tag: str, path: str, where: str) -> str:
    child = elem.find(tag)
    if child is None or child.text is None or not child.text.strip():
        raise ValueError(f'{path}: malformed VOC XML: missing <{tag}> in {where}')
    return child.text.strip()


def _number(elem: ET.Element, tag: str, path: str, where: str) -> float:
    text = _text(elem, tag, path, where)
    try:
        return float(text)
    except ValueError:
        raise ValueError(f'{path}: malformed VOC XML: <{tag}> in {where} is not a number: '
                         f'{text!r}') from None


def parse_voc_xml(path: str) -> Tuple[int, int, List[dict]]:
    """Read one VOC annotation file.

    Returns:
        ``(width, height, objects)``; each object is ``dict(name=str, difficult=bool,
        bndbox=(xmin, ymin, xmax, ymax))`` in VOC's 1-based pixel coordinates, as written.

    Raises:
        ValueError: naming ``path``, for unparsable XML, missing fields or
            non-numeric values.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ValueError(f'{path}: malformed VOC XML: {e}') from None
    size = root.find('size')
    if size is None:
        raise ValueError(f'{path}: malformed VOC XML: missing <size>')
    width, height = _number(size, 'width', path, '<size>'), _number(size, 'height', path, '<size>')
    if width <= 0 or height <= 0:
        raise ValueError(f'{path}: malformed VOC XML: image size {width}x{height} is not positive')
    objects = []
    for i, obj in enumerate(root.findall('object')):
        where = f'<object> #{i}'
        name = _text(obj, 'name', path, where)
        difficult_elem: Optional[ET.Element] = obj.find('difficult')
        difficult = False
        if difficult_elem is not None and difficult_elem.text and difficult_elem.text.strip():
            difficult = bool(int(_number(obj, 'difficult', path, where)))
        bndbox = obj.find('bndbox')
        if bndbox is None:
            raise ValueError(f'{path}: malformed VOC XML: missing <bndbox> in {where} ({name})')
        coords = tuple(_number(bndbox, tag, path, f'{where} ({name})')
                       for tag in ('xmin', 'ymin', 'xmax', 'ymax'))
        objects.append(dict(name=name, difficult=difficult, bndbox=coords))
    return int(width), int(height), objects
