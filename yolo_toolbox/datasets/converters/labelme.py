"""labelme JSON files -> COCO JSON.

One labelme file per image, anywhere under a folder (searched recursively); its
``imagePath`` is relative to the JSON file. Shapes become boxes:

- ``rectangle``: two corner points, in any order;
- ``polygon`` (also a shape without ``shape_type``, as old labelme versions write): the
  bounding box of its points.

Other shape types (``circle``, ``line``, ``point``, ``linestrip``, ``mask``, ...) are
errors. Points are labelme's pixel coordinates, used as they are.
"""
import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.utils import scandir

from ..image_check import CACHE_NAME
from .coco_json import CocoJsonBuilder, image_size

#: shape type -> the fewest points it needs (rectangles need exactly this many)
SHAPE_POINTS = dict(rectangle=2, polygon=3)


def labelme_to_coco(labelme_dir: str, classes: Optional[Sequence[str]] = None,
                    exclude: Sequence[str] = (), strict: bool = False) -> dict:
    """Convert a folder of labelme files to a COCO dict (``file_name`` relative to
    ``labelme_dir``).

    Args:
        labelme_dir: folder searched recursively for ``*.json`` labelme files.
        classes: class names in label-id order; ``None``: every label found, sorted.
        exclude: JSON files under ``labelme_dir`` that are not labelme files (e.g. the
            COCO output of an earlier run); the datasets' image-check cache
            (``.yolo_toolbox_image_check.json``) is always left out.
        strict: refuse boxes that leave the image, zero-area and inverted boxes (listed
            by file); by default they are clipped / skipped with one warning, as the
            datasets do (:mod:`..box_policy`).

    Returns:
        The COCO dict (see :mod:`.coco_json`); boxes in pixels.

    Raises (each message names the file, and the shape by index and label):
        FileNotFoundError: a missing folder or image.
        ValueError: no labelme files, unparsable JSON, missing keys, an image whose size is
            not ``imageWidth`` x ``imageHeight``, an unknown shape type, a wrong number of
            points, a label not in ``classes``; with ``strict``, boxes that needed fixing.
    """
    if not osp.isdir(labelme_dir):
        raise FileNotFoundError(f'labelme2coco: folder {labelme_dir} does not exist')
    excluded = {osp.abspath(path) for path in exclude}
    json_files = [rel for rel in sorted(scandir(labelme_dir, '.json', recursive=True))
                  if osp.basename(rel) != CACHE_NAME
                  and osp.abspath(osp.join(labelme_dir, rel)) not in excluded]
    if not json_files:
        raise ValueError(f'labelme2coco: no .json files under {labelme_dir}')
    records = [_read_labelme_file(osp.join(labelme_dir, rel), labelme_dir) for rel in json_files]
    if classes is None:
        classes = sorted({label for record in records for _, label, _ in record['boxes']})
    class_to_label = {name: i for i, name in enumerate(classes)}
    builder = CocoJsonBuilder(classes)
    for record in records:
        image_id = builder.add_image(record['file_name'], record['width'], record['height'])
        for where, label, box in record['boxes']:
            if label not in class_to_label:
                raise ValueError(f'{where}: label {label!r} is not one of the classes '
                                 f'{list(classes)}; add it to the classes file or fix the label')
            builder.add_box(image_id, class_to_label[label], box, where)
    builder.report_boxes('labelme2coco', strict)
    return builder.to_dict()


def _read_labelme_file(path: str, root: str) -> dict:
    """``dict(file_name, width, height, boxes=[(where, label, [x1, y1, x2, y2])])``."""
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except ValueError as e:
        raise ValueError(f'{path}: not valid JSON: {e}') from None
    if not isinstance(data, dict) or not isinstance(data.get('shapes'), list):
        raise ValueError(f'{path}: not a labelme file (no "shapes" list)')
    for key in ('imagePath', 'imageWidth', 'imageHeight'):
        if key not in data:
            raise ValueError(f'{path}: labelme file has no {key!r}')
    # labelme on Windows writes backslashes
    img_path = osp.normpath(osp.join(osp.dirname(path), data['imagePath'].replace('\\', '/')))
    width, height = image_size(img_path, path)
    if (width, height) != (data['imageWidth'], data['imageHeight']):
        raise ValueError(f'{path}: imageWidth x imageHeight is {data["imageWidth"]}x'
                         f'{data["imageHeight"]} but the image {img_path} is {width}x{height}')
    boxes = []
    for i, shape in enumerate(data['shapes']):
        if not isinstance(shape, dict):
            raise ValueError(f'{path}: shape #{i} is not a JSON object: {shape!r}')
        label = shape.get('label')
        shape_type = shape.get('shape_type') or 'polygon'
        where = f'{path}: shape #{i} ({label!r}, {shape_type})'
        if not isinstance(label, str) or not label:
            raise ValueError(f'{where}: the shape has no label')
        if shape_type not in SHAPE_POINTS:
            raise ValueError(f'{where}: unknown labelme shape type {shape_type!r}; only '
                             f'{" and ".join(SHAPE_POINTS)} shapes can become boxes')
        xs, ys = _points(shape.get('points'), where)
        needed = SHAPE_POINTS[shape_type]
        if len(xs) < needed or (shape_type == 'rectangle' and len(xs) != needed):
            raise ValueError(f'{where}: a {shape_type} needs '
                             f'{"exactly" if shape_type == "rectangle" else "at least"} '
                             f'{needed} points, got {len(xs)}')
        boxes.append((where, label, [min(xs), min(ys), max(xs), max(ys)]))
    return dict(file_name=osp.relpath(img_path, root), width=width, height=height, boxes=boxes)


def _points(points: object, where: str) -> Tuple[List[float], List[float]]:
    """x and y coordinates of a labelme ``points`` list ``[[x, y], ...]``."""
    try:
        pairs = [(float(x), float(y)) for x, y in points]
    except (TypeError, ValueError):
        raise ValueError(f'{where}: points must be a list of [x, y] number pairs, got '
                         f'{points!r}') from None
    return [x for x, _ in pairs], [y for _, y in pairs]
