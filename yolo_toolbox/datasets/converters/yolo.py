"""YOLO txt labels -> COCO JSON.

Layout (the one Ultralytics, Darknet and LabelImg's YOLO export use)::

    IMG_DIR/a.jpg  IMG_DIR/sub/b.png ...      images, searched recursively
    LABEL_DIR/a.txt  LABEL_DIR/sub/b.txt ...   same relative path, extension .txt
    classes.txt                                class names, one a line; line i is class id i

Each label line is ``class cx cy w h``: an integer class id and the box centre and size
normalised by the image width / height (all in [0, 1]). The image sizes are read from the
images. An image without a label file is a background image (no objects).
"""
import os.path as osp
from typing import Dict, List

from mmengine.utils import scandir

from .coco_json import IMAGE_SUFFIXES, CocoJsonBuilder, image_size, read_classes_file


def yolo_to_coco(img_dir: str, label_dir: str, classes_file: str, strict: bool = False) -> dict:
    """Convert a YOLO-txt dataset to a COCO dict (``file_name`` relative to ``img_dir``).

    Args:
        img_dir: folder of the images (searched recursively).
        label_dir: folder of the ``.txt`` label files, mirroring ``img_dir``.
        classes_file: class names, one a line (it may lie in ``label_dir``).
        strict: refuse boxes that leave the image, zero-area and inverted boxes (listed
            by file); by default they are clipped / skipped with one warning, as the
            datasets do (:mod:`..box_policy`).

    Returns:
        The COCO dict (see :mod:`.coco_json`); boxes ``(cx - w / 2) * width`` ... in pixels.

    Raises (each message names the file, and the line for label lines):
        FileNotFoundError: a missing folder, classes file, or a label file without an image.
        ValueError: no images, a label line without exactly 5 fields, a non-integer or
            out-of-range class id, non-numeric values, an unreadable image, or two images
            that share one label file; with ``strict``, boxes that needed fixing.
    """
    for folder in (img_dir, label_dir):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'yolo2coco: folder {folder} does not exist')
    classes = read_classes_file(classes_file)
    images_by_stem: Dict[str, str] = {}
    for rel in sorted(scandir(img_dir, IMAGE_SUFFIXES, recursive=True, case_sensitive=False)):
        stem = osp.splitext(rel)[0]
        if stem in images_by_stem:
            raise ValueError(f'yolo2coco: images {osp.join(img_dir, images_by_stem[stem])} and '
                             f'{osp.join(img_dir, rel)} would share the label file {stem}.txt')
        images_by_stem[stem] = rel
    if not images_by_stem:
        raise ValueError(f'yolo2coco: no images ({", ".join(IMAGE_SUFFIXES)}) under {img_dir}')
    skip = osp.abspath(classes_file)
    label_files = sorted(scandir(label_dir, '.txt', recursive=True))
    label_stems = [osp.splitext(rel)[0] for rel in label_files
                   if osp.abspath(osp.join(label_dir, rel)) != skip]
    for stem in label_stems:
        if stem not in images_by_stem:
            raise FileNotFoundError(
                f'{osp.join(label_dir, stem + ".txt")}: no image for this label file: expected '
                f'{osp.join(img_dir, stem)} with one of the suffixes {list(IMAGE_SUFFIXES)}')
    label_stems = set(label_stems)

    builder = CocoJsonBuilder(classes)
    for stem, rel in images_by_stem.items():
        label_path = osp.join(label_dir, stem + '.txt')
        width, height = image_size(osp.join(img_dir, rel),
                                   label_path if stem in label_stems else 'yolo2coco')
        image_id = builder.add_image(rel, width, height)
        if stem not in label_stems:
            continue
        for where, class_id, box in _read_label_file(label_path, len(classes), classes_file):
            cx, cy, w, h = box
            box_xyxy = [(cx - w / 2) * width, (cy - h / 2) * height,
                        (cx + w / 2) * width, (cy + h / 2) * height]
            builder.add_box(image_id, class_id, box_xyxy, where, file=label_path)
    builder.report_boxes('yolo2coco', strict)
    return builder.to_dict()


def _read_label_file(path: str, num_classes: int, classes_file: str) -> List[tuple]:
    """``(where, class_id, (cx, cy, w, h))`` per non-blank line, normalised units."""
    rows = []
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            where = f'{path}:{line_no}'
            if len(fields) != 5:
                hint = ' (polygon / segment labels are not supported)' if len(fields) > 5 else ''
                raise ValueError(f'{where}: expected 5 fields "class cx cy w h", got '
                                 f'{len(fields)}: {line.strip()!r}{hint}')
            try:
                class_id = int(fields[0])
            except ValueError:
                raise ValueError(f'{where}: class id {fields[0]!r} is not an integer') from None
            if not 0 <= class_id < num_classes:
                raise ValueError(f'{where}: class id {class_id} is out of range: {classes_file} '
                                 f'lists {num_classes} classes (ids 0..{num_classes - 1})')
            try:
                box = tuple(float(v) for v in fields[1:])
            except ValueError:
                raise ValueError(f'{where}: cx cy w h must be numbers, got '
                                 f'{fields[1:]}') from None
            rows.append((where, class_id, box))
    return rows
