"""The COCO-JSON side of every converter: class files, box checks, the JSON dict, saving.

Every converter produces the COCO detection layout that :class:`CocoDataset` reads::

    images:      [dict(id=1.., file_name=str, width=int, height=int)]
    annotations: [dict(id=1.., image_id=int, category_id=1.., bbox=[x, y, w, h],  # pixels
                       area=w * h, iscrowd=0, ignore=0 | 1)]
    categories:  [dict(id=1.., name=str)]      # ids 1-based, in the order of the classes

``file_name`` is relative to the image folder the converter was given, which becomes the
dataset's ``data_prefix=dict(img_path=...)``.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from ..box_policy import OUTSIDE_TOLERANCE, BoxChecker
from ..image_check import inspect_image

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def read_classes_file(path: str) -> Tuple[str, ...]:
    """Class names from a text file, one a line (blank lines skipped, spaces stripped).

    Raises:
        FileNotFoundError / ValueError: naming ``path``, when it is missing, empty or
            lists a name twice.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'classes file {path} does not exist')
    with open(path, encoding='utf-8') as f:
        classes = tuple(line.strip() for line in f if line.strip())
    if not classes:
        raise ValueError(f'{path}: classes file is empty; write one class name a line')
    duplicates = sorted({c for c in classes if classes.count(c) > 1})
    if duplicates:
        raise ValueError(f'{path}: classes file lists {duplicates} more than once')
    return classes


def image_size(path: str, where: str) -> Tuple[int, int]:
    """``(width, height)`` in pixels of an image file as ``LoadImageFromFile`` loads it
    (EXIF orientation applied).

    Raises:
        FileNotFoundError / ValueError: naming ``path`` and ``where`` (the annotation that
            refers to it), when the image is missing or cannot be decoded.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{where}: image {path} does not exist')
    verdict = inspect_image(path)
    if isinstance(verdict, str):
        raise ValueError(f'{where}: image {path} cannot be used: {verdict}')
    height, width = verdict
    return width, height


def check_box(box_xyxy: Sequence[float], width: float, height: float, where: str,
              tolerance: float = OUTSIDE_TOLERANCE) -> List[float]:
    """One box ``[x1, y1, x2, y2]`` (pixels) in strict mode: clipped to its image when it
    reaches out by at most ``tolerance`` px, else refused.

    Raises:
        ValueError: naming ``where``, for a box that :class:`~..box_policy.BoxChecker`
            would clip or drop, or a non-finite coordinate.
    """
    checker = BoxChecker(tolerance)
    box = checker.fix(box_xyxy, width, height, where, where)
    checker.report(f'box {[float(v) for v in box_xyxy]} px in a {width:g}x{height:g} image',
                   strict=True)
    return box


class CocoJsonBuilder:
    """Collects images and boxes into a COCO detection dict (layout in the module doc).

    Args:
        classes: class names; category ``i + 1`` is ``classes[i]``.
    """

    def __init__(self, classes: Sequence[str]) -> None:
        self.classes = tuple(classes)
        if not self.classes:
            raise ValueError('no classes: give a classes file or annotations with labels')
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f'classes contain duplicates: {list(self.classes)}')
        self.images: List[dict] = []
        self.annotations: List[dict] = []
        self._sizes: Dict[int, Tuple[int, int]] = {}
        #: what was clipped or dropped, per annotation file (:mod:`..box_policy`)
        self.boxes = BoxChecker()

    def add_image(self, file_name: str, width: int, height: int) -> int:
        """Add an image (``file_name`` relative to the image folder); return its id."""
        image_id = len(self.images) + 1
        self.images.append(dict(id=image_id, file_name=file_name.replace(os.sep, '/'),
                                width=int(width), height=int(height)))
        self._sizes[image_id] = (int(width), int(height))
        return image_id

    def add_box(self, image_id: int, label: int, box_xyxy: Sequence[float], where: str,
                ignore: bool = False, file: Optional[str] = None) -> None:
        """Add one object: ``label`` indexes ``classes``; ``box_xyxy`` in pixels is
        clipped to the image, or skipped when wholly outside, zero-area or inverted, as
        the datasets do (:mod:`..box_policy`), and counted per ``file`` (default: ``where``
        up to its first ``:``) for :meth:`report_boxes`; ``ignore=True`` writes
        ``ignore=1`` (the dataset gives it ``ignore_flag=1``)."""
        if not 0 <= label < len(self.classes):
            raise ValueError(f'{where}: class id {label} is out of range: there are '
                             f'{len(self.classes)} classes (ids 0..{len(self.classes) - 1})')
        width, height = self._sizes[image_id]
        box = self.boxes.fix(box_xyxy, width, height, file or where.split(':')[0], where)
        if box is None:
            return
        x1, y1, x2, y2 = box
        box_w, box_h = x2 - x1, y2 - y1
        self.annotations.append(dict(
            id=len(self.annotations) + 1, image_id=image_id, category_id=label + 1,
            bbox=[x1, y1, box_w, box_h], area=box_w * box_h, iscrowd=0, ignore=int(ignore)))

    def report_boxes(self, who: str, strict: bool = False) -> None:
        """One warning naming the files whose boxes were clipped or skipped; ``strict``:
        a ``ValueError`` with the same list instead."""
        self.boxes.report(who, strict)

    def to_dict(self) -> dict:
        """The COCO dict: ``images``, ``annotations``, ``categories``."""
        categories = [dict(id=i + 1, name=name) for i, name in enumerate(self.classes)]
        return dict(images=list(self.images), annotations=list(self.annotations),
                    categories=categories)


def save_coco_json(coco: dict, path: str) -> None:
    """Write a COCO dict to ``path`` (parent folders are created)."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(coco, f)


def summary(coco: dict, path: str) -> str:
    """One line for the tools: counts and where the JSON went."""
    num_ignored = sum(ann['ignore'] for ann in coco['annotations'])
    ignored = f' ({num_ignored} ignored)' if num_ignored else ''
    return (f'wrote {path}: {len(coco["images"])} images, {len(coco["annotations"])} '
            f'objects{ignored}, {len(coco["categories"])} classes '
            f'{[c["name"] for c in coco["categories"]]}')
