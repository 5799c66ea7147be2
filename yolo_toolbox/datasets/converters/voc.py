"""VOC devkit layout (years + an image-set split) -> one COCO JSON.

The result reads back through :class:`CocoDataset` to the same entries as
:class:`VOCDataset` gives for the same years and split: boxes ``[xmin - 1, ymin - 1, xmax,
ymax]`` (VOC's 1-based inclusive pixels to 0-based continuous ones), clipped to the
``<size>`` of the XML, and ``difficult`` objects written with ``ignore=1`` (``iscrowd``
stays 0, as the objects are not crowds), which the dataset reads as ``ignore_flag=1``;
``difficult_as_gt=True`` writes them as ordinary objects.
"""
import os.path as osp
from typing import Dict, List, Sequence, Union

from ..voc import VOC_CLASSES, parse_voc_xml
from .coco_json import CocoJsonBuilder


def voc_to_coco(devkit_dir: str, years: Union[str, Sequence[str]], split: str,
                classes: Sequence[str] = VOC_CLASSES, difficult_as_gt: bool = False,
                img_subdir: str = 'JPEGImages', ann_subdir: str = 'Annotations',
                img_suffix: str = '.jpg', strict: bool = False) -> dict:
    """Convert VOC-layout annotations to a COCO dict (``file_name`` relative to
    ``devkit_dir``, e.g. ``VOC2007/JPEGImages/000005.jpg``).

    Args:
        devkit_dir: the VOCdevkit folder (``VOCDataset``'s ``data_root``).
        years: sub-folders to read, e.g. ``('VOC2007', 'VOC2012')``.
        split: image-set name; ids come from ``{year}/ImageSets/Main/{split}.txt``.
        classes: class names in label-id order (default: the 20 VOC classes).
        difficult_as_gt: ``False``: ``difficult`` objects get ``ignore=1``.
        img_subdir / ann_subdir / img_suffix: names inside each year folder.
        strict: refuse boxes that leave the image, zero-area and inverted boxes (listed
            by file); by default they are clipped / skipped with one warning, as
            ``VOCDataset`` does (:mod:`..box_policy`).

    Raises (each message names the file):
        FileNotFoundError: a missing folder, split file, image or XML.
        ValueError: an empty split file, malformed XML (see :func:`parse_voc_xml`), a
            class name not in ``classes``, an image id listed twice; with ``strict``,
            boxes that needed clipping or skipping.
    """
    years = (years, ) if isinstance(years, str) else tuple(years)
    if not years:
        raise ValueError('voc2coco: no years given, e.g. VOC2007')
    if not osp.isdir(devkit_dir):
        raise FileNotFoundError(f'voc2coco: devkit folder {devkit_dir} does not exist')
    splits = {year: _read_split(devkit_dir, year, split) for year in years}  # all checked first
    class_to_label = {name: i for i, name in enumerate(classes)}
    builder = CocoJsonBuilder(classes)
    seen: Dict[str, str] = {}
    for year, img_ids in splits.items():
        for img_id in img_ids:
            if img_id in seen:
                raise ValueError(f'voc2coco: image id {img_id!r} appears twice ({seen[img_id]} '
                                 f'and {year}); ids must be unique')
            seen[img_id] = year
            file_name = osp.join(year, img_subdir, img_id + img_suffix)
            xml_path = osp.join(devkit_dir, year, ann_subdir, img_id + '.xml')
            if not osp.isfile(osp.join(devkit_dir, file_name)):
                raise FileNotFoundError(f'voc2coco: image {osp.join(devkit_dir, file_name)} '
                                        f'(listed in the {year} {split!r} split) does not exist')
            if not osp.isfile(xml_path):
                raise FileNotFoundError(f'voc2coco: annotation {xml_path} does not exist')
            width, height, objects = parse_voc_xml(xml_path)
            image_id = builder.add_image(file_name, width, height)
            for i, obj in enumerate(objects):
                where = f'{xml_path}: object #{i} ({obj["name"]!r})'
                if obj['name'] not in class_to_label:
                    raise ValueError(f'{where}: unknown class name {obj["name"]!r}; the known '
                                     f'classes are {list(classes)} (give a classes file)')
                xmin, ymin, xmax, ymax = obj['bndbox']
                builder.add_box(image_id, class_to_label[obj['name']],
                                [xmin - 1, ymin - 1, xmax, ymax], where,
                                ignore=obj['difficult'] and not difficult_as_gt, file=xml_path)
    builder.report_boxes('voc2coco', strict)
    return builder.to_dict()


def _read_split(devkit_dir: str, year: str, split: str) -> List[str]:
    path = osp.join(devkit_dir, year, 'ImageSets', 'Main', f'{split}.txt')
    if not osp.isfile(path):
        raise FileNotFoundError(f'voc2coco: split file {path} does not exist (check the '
                                f'devkit folder, the years and the split {split!r})')
    with open(path) as f:
        # class-specific split files have "id  1" lines: the id is the first token
        img_ids = [line.split()[0] for line in f if line.strip()]
    if not img_ids:
        raise ValueError(f'voc2coco: split file {path} is empty: it must list the image ids '
                         'of the split, one a line')
    return img_ids
