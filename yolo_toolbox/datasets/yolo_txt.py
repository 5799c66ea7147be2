"""Datasets in YOLO format (Ultralytics / YOLOv5 / Darknet), read as they are.

A ``data.yaml`` as Ultralytics writes it::

    path: ../datasets/mine      # the dataset root (relative: to this file's folder, else cwd)
    train: images/train         # a folder of images, a .txt list of images, or a list of those
    val: images/val             # relative to `path`
    names: [cat, dog]           # or {0: cat, 1: dog}; `nc` optional

Beside each image, the label file is found as Ultralytics finds it: the last ``/images/``
of the image path becomes ``/labels/`` and the extension ``.txt``
(``images/train/a.jpg`` -> ``labels/train/a.txt``; without an ``images`` folder, the
``.txt`` next to the image). Each line is ``class cx cy w h``: a class id and the box
centre and size normalised by the image width / height. An empty label file, and an
image without one, are images without objects.
"""
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch.utils.data
import yaml
from mmengine.dist import broadcast_object_list, get_rank, get_world_size, is_distributed
from mmengine.logging import print_log
from mmengine.utils import scandir

from yolo_toolbox.registry import DATASETS

from .base_det_dataset import BaseDetDataset
from .image_check import default_cache_file, scan_images

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def read_data_yaml(path: str) -> dict:
    """An Ultralytics ``data.yaml``: ``dict(root=str, names=tuple, splits=dict)``.

    ``root`` is ``path`` from the file (relative to the file's folder, or to the working
    directory when only there it exists; the file's folder when absent); ``splits`` maps
    ``train`` / ``val`` / ``test`` to what the file gives (a string or a list of strings,
    relative to ``root``).

    Raises:
        FileNotFoundError / ValueError: naming ``path``: a missing file, no ``names``,
            names given as a dict whose keys are not 0..n-1, or ``nc`` != their count.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'YOLOTxtDataset: data_yaml {path} does not exist')
    with open(path, encoding='utf-8') as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a mapping with names, train, val, ...')
    names = data.get('names')
    if isinstance(names, dict):
        keys = sorted(names)
        if keys != list(range(len(keys))):
            raise ValueError(f'{path}: names as a mapping must have the keys 0..{len(keys) - 1}, '
                             f'got {keys}')
        names = [names[k] for k in keys]
    if not names or not isinstance(names, (list, tuple)):
        raise ValueError(f'{path}: no class names; write e.g. "names: [cat, dog]"')
    names = tuple(str(n) for n in names)
    if 'nc' in data and int(data['nc']) != len(names):
        raise ValueError(f'{path}: nc is {data["nc"]} but names lists {len(names)} classes')
    folder = osp.dirname(osp.abspath(path))
    root = str(data.get('path') or folder)
    if not osp.isabs(root):  # beside the yaml; else (YOLOv5's ../datasets/x) from the cwd
        beside = osp.normpath(osp.join(folder, root))
        root = beside if osp.isdir(beside) or not osp.isdir(root) else osp.abspath(root)
    splits = {k: data[k] for k in ('train', 'val', 'test') if data.get(k)}
    return dict(root=root, names=names, splits=splits)


def label_path_of(img_path: str) -> str:
    """Ultralytics' rule: the last ``/images/`` -> ``/labels/``, extension -> ``.txt``."""
    path = osp.abspath(img_path)
    images, labels = f'{os.sep}images{os.sep}', f'{os.sep}labels{os.sep}'
    if images in path:
        head, tail = path.rsplit(images, 1)
        path = head + labels + tail
    return osp.splitext(path)[0] + '.txt'


def list_images(root: str, sources: Union[str, Sequence[str]], where: str) -> List[str]:
    """Image paths of ``sources``: folders (searched recursively) and ``.txt`` list files
    (one image a line; relative lines are relative to the list file's folder), each
    relative to ``root`` unless absolute."""
    images = []
    for source in ([sources] if isinstance(sources, str) else list(sources)):
        path = source if osp.isabs(source) else osp.normpath(osp.join(root, str(source)))
        if osp.isdir(path):
            found = scandir(path, IMAGE_SUFFIXES, recursive=True, case_sensitive=False)
            images += sorted(osp.join(path, rel) for rel in found)
        elif osp.isfile(path) and path.endswith('.txt'):
            with open(path, encoding='utf-8') as f:
                lines = [line.strip() for line in f if line.strip()]
            images += [line if osp.isabs(line) else osp.normpath(osp.join(osp.dirname(path), line))
                       for line in lines]
        else:
            raise FileNotFoundError(f'YOLOTxtDataset: {where}: {path} is neither a folder of '
                                    'images nor a .txt file listing them')
    return images


def read_label_file(path: str, num_classes: int) -> List[Tuple[str, int, Tuple[float, ...]]]:
    """``(where, class_id, (cx, cy, w, h))`` per non-blank line of a YOLO label file.

    Raises:
        ValueError: naming ``path:line``: not 5 fields, a class id that is not an integer
            in ``0..num_classes - 1``, non-numeric or non-finite values.
    """
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
                box = tuple(float(v) for v in fields[1:])
            except ValueError:
                raise ValueError(f'{where}: expected an integer class id and 4 numbers, got '
                                 f'{line.strip()!r}') from None
            if not 0 <= class_id < num_classes:
                raise ValueError(f'{where}: class id {class_id} is out of range: the dataset has '
                                 f'{num_classes} classes (ids 0..{num_classes - 1})')
            if not all(math.isfinite(v) for v in box):
                raise ValueError(f'{where}: cx cy w h must be finite, got {line.strip()!r}')
            rows.append((where, class_id, box))
    return rows


@DATASETS.register_module()
class YOLOTxtDataset(BaseDetDataset):
    """A YOLO-format dataset: ``data.yaml``, images, and ``labels/*.txt`` beside them.

    Either ``data_yaml`` (class names and the split's images from the file) or
    ``data_root`` with ``metainfo=dict(classes=(...))`` (images of the split from the first
    of ``images/{split}``, ``{split}.txt``, ``{split}/images``, ``{split}`` that exists).
    Boxes ``cls cx cy w h`` become ``[(cx - w/2) * W, (cy - h/2) * H, ...]`` pixels of the
    image (its size read from the file), clipped to the image, as ``yolo2coco.py`` and
    ``CocoDataset`` give them; zero-area boxes are dropped with a logged count.

    Args:
        data_yaml: an Ultralytics ``data.yaml`` (relative to the working directory).
        split: ``'train'``, ``'val'`` or ``'test'`` (the key in ``data_yaml``).
        data_root: the dataset folder, when there is no ``data_yaml``.
        min_box_area: boxes with area ``<=`` this (pixels^2) are dropped.
        **kwargs: ``BaseDetDataset`` arguments (``pipeline``, ``test_mode``, ``filter_cfg``,
            ``image_check`` ('skip' | 'strict' | 'off'), ``metainfo``: its ``classes`` rename
            the yaml's names, and must be as many).

    Raises (naming the file, and the line for label lines): ``FileNotFoundError`` for a
    missing yaml, split or listed image, or when no image has a label file (a wrong
    layout); ``ValueError`` for malformed label lines, class ids out of range, negative
    box sizes, and (``image_check='strict'``) unusable images.
    """

    METAINFO = dict(classes=(), palette=[])

    def __init__(self, data_yaml: Optional[str] = None, split: str = 'train',
                 data_root: Optional[str] = None, min_box_area: float = 0.0,
                 metainfo: Optional[dict] = None, **kwargs) -> None:
        self.data_yaml, self.split = data_yaml, split
        if (data_yaml is None) == (data_root is None):
            raise ValueError('YOLOTxtDataset: give data_yaml (an Ultralytics data.yaml) or '
                             'data_root (with metainfo=dict(classes=...)), not both or neither')
        metainfo = dict(metainfo or {})
        if data_yaml is not None:
            info = read_data_yaml(data_yaml)
            if split not in info['splits']:
                raise ValueError(f'{data_yaml}: no {split!r} split; it has '
                                 f'{sorted(info["splits"])}')
            self.root, self.sources = info['root'], info['splits'][split]
            given = metainfo.get('classes')
            if given is not None and len(given) != len(info['names']):
                raise ValueError(f'YOLOTxtDataset: metainfo classes {list(given)} are not as many '
                                 f'as the names in {data_yaml} {list(info["names"])}')
            metainfo.setdefault('classes', info['names'])
        else:
            self.root, self.sources = data_root, self._split_source(data_root, split)
        super().__init__(data_root=data_root, min_box_area=min_box_area, metainfo=metainfo,
                         **kwargs)

    @staticmethod
    def _split_source(data_root: str, split: str) -> str:
        candidates = (f'images/{split}', f'{split}.txt', f'{split}/images', split)
        for rel in candidates:
            if osp.exists(osp.join(data_root, rel)):
                return rel
        raise FileNotFoundError(f'YOLOTxtDataset: no images for split {split!r} under '
                                f'{data_root}: tried {", ".join(candidates)}')

    def load_data_list(self) -> List[dict]:
        where = self.data_yaml or self.root
        img_paths = list_images(self.root, self.sources, f'{where} ({self.split})')
        if not img_paths:
            raise FileNotFoundError(f'YOLOTxtDataset: {where} ({self.split}): no images in '
                                    f'{self.sources}')
        sizes = self._image_sizes(img_paths)
        num_classes = len(self._metainfo['classes'])
        data_list, num_dropped, num_labelled = [], 0, 0
        for img_path in img_paths:
            size = sizes[img_path]
            if isinstance(size, str):  # unusable: the image check names it and skips it
                if self.image_check == 'off':
                    raise ValueError(f'YOLOTxtDataset: image {img_path} cannot be used: {size}')
                data_list.append(dict(img_path=img_path, img_id=img_path, height=0, width=0,
                                      instances=[]))
                continue
            height, width = size
            label_path = label_path_of(img_path)
            instances = []
            if osp.isfile(label_path):
                num_labelled += 1
                for line_where, label, (cx, cy, w, h) in read_label_file(label_path, num_classes):
                    box = self.clip_and_check_box(
                        [(cx - w / 2) * width, (cy - h / 2) * height,
                         (cx + w / 2) * width, (cy + h / 2) * height], width, height,
                        f'{line_where} (normalised cx cy w h = {[cx, cy, w, h]})')
                    if box is None:
                        num_dropped += 1
                        continue
                    instances.append(dict(bbox=box, bbox_label=label, ignore_flag=0))
            data_list.append(dict(img_path=img_path, img_id=img_path, height=height,
                                  width=width, instances=instances))
        if num_labelled == 0:
            raise FileNotFoundError(
                f'YOLOTxtDataset: {where} ({self.split}): none of the {len(img_paths)} images has '
                f'a label file; for {img_paths[0]} it would be {label_path_of(img_paths[0])} '
                '(images/ -> labels/, extension .txt)')
        if num_labelled < len(img_paths):
            print_log(f'YOLOTxtDataset: {len(img_paths) - num_labelled} of {len(img_paths)} '
                      'images have no label file (images without objects)', logger='current')
        self.log_dropped(num_dropped, f'boxes with zero area or area <= min_box_area='
                                      f'{self.min_box_area} px^2')
        return data_list

    def _image_sizes(self, paths: List[str]) -> Dict[str, Union[Tuple[int, int], str]]:
        """``(height, width)`` or the problem, per image: the cached image check (run by
        rank 0 in a distributed run, shared with the others); ``filter_data`` then finds
        every verdict in the cache."""
        collective = (is_distributed() and get_world_size() > 1
                      and torch.utils.data.get_worker_info() is None)
        verdicts = None
        if not collective or get_rank() == 0:
            verdicts, _ = scan_images(paths, default_cache_file(paths), self.image_check_workers)
        if collective:
            shared = [verdicts]
            broadcast_object_list(shared, src=0)
            verdicts = shared[0]
        return verdicts

