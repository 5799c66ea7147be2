"""Shared code of the detection datasets: class list, filtering, multi-image access.

Every dataset here produces the MMDetection data-list layout::

    dict(img_path=str, img_id=str|int, height=int, width=int,
         instances=[dict(bbox=[x1, y1, x2, y2],   # float, 0-based pixels of the file image
                         bbox_label=int,          # index into metainfo['classes']
                         ignore_flag=0 | 1)])     # 1: counts neither as hit nor miss
"""
import colorsys
import logging
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
import torch.utils.data
from mmengine.dataset import BaseDataset
from mmengine.dist import broadcast_object_list, get_rank, get_world_size, is_distributed
from mmengine.logging import print_log

from yolo_toolbox.registry import TRANSFORMS

from .box_policy import BoxChecker
from .image_cache import CACHE_MODES, ImageCache, channels_of, check_budget, local_copies
from .image_check import (
    ImageReadError,
    default_cache_file,
    format_skipped,
    scan_images,
    size_problem,
)


def make_palette(num_classes: int) -> List[tuple]:
    """``num_classes`` well-separated RGB colours (0-255), deterministic."""
    palette = []
    for i in range(num_classes):
        hue = (i * 0.618033988749895) % 1.0  # golden-ratio steps around the hue circle
        value = 1.0 if i % 2 == 0 else 0.75
        r, g, b = colorsys.hsv_to_rgb(hue, 0.85, value)
        palette.append((int(r * 255), int(g * 255), int(b * 255)))
    return palette


class BaseDetDataset(BaseDataset):
    """mmengine ``BaseDataset`` with detection conveniences.

    - ``metainfo=dict(classes=(...))`` replaces the class list; the palette is
      regenerated when its length does not match.
    - In training (``test_mode=False``) ``prepare_data`` puts ``results['dataset'] = self``
      so that multi-image transforms (``Mosaic``) can load other images; they remove it.
    - ``filter_cfg=dict(filter_empty_gt=True, min_size=32)`` drops, in training only,
      images without non-ignored objects and images whose shorter side is below
      ``min_size`` pixels (as MMDetection does).
    - Every image is checked once when the data list is built (exists, not empty, an
      image header, decodes, the annotation's size; see :mod:`.image_check`), in
      parallel threads, with the verdicts cached next to the images
      (``.yolo_toolbox_image_check.json``, keyed on path + size + mtime). Unusable
      images are dropped with one logged summary naming them (``image_check='skip'``),
      or the dataset refuses to load and names them (``'strict'``).
    - An image that fails to decode later (it changed after the check) is replaced, in
      training, by a random other index with a logged warning, at most
      ``max_image_retries`` times per sample; at test time it is an error.

    Args:
        pipeline: transform configs (built from this package's ``TRANSFORMS``) or callables.
        min_box_area: boxes whose area (pixels^2, after clipping to the image) is
            ``<=`` this are dropped at load time, with a logged count.
        box_check: ``'warn'`` (default): boxes partly outside the image are clipped,
            wholly outside, zero-area and inverted ones dropped, with one warning at
            load time naming the files and counts (:mod:`.box_policy`, the converters'
            policy too); ``'strict'``: the dataset refuses to load with the same list.
        image_check: ``'skip'`` (default), ``'strict'`` or ``'off'`` (no check).
        image_check_workers: threads of the check (default ``min(16, cpu_count)``).
        max_image_retries: replacements of an unreadable image per sample (training).
        cache: ``None`` (default): every image is read and decoded each time it is used;
            ``'ram'``: every image is decoded once, after the image check, into memory, with
            the settings of the pipeline's ``LoadImageFromFile``, which then copies the
            cached pixels (same values; see :mod:`.image_cache` for workers, DDP and the
            memory check, which raises ``MemoryError`` up front when it does not fit).
        **kwargs: the remaining ``mmengine.dataset.BaseDataset`` arguments
            (``ann_file``, ``metainfo``, ``data_root``, ``data_prefix``, ``filter_cfg``,
            ``indices``, ``serialize_data``, ``test_mode``, ``lazy_init``, ``max_refetch``).
    """

    METAINFO: dict = dict(classes=(), palette=[])

    def __init__(self, *, pipeline: Sequence[Union[dict, Callable]] = (),
                 min_box_area: float = 0.0, box_check: str = 'warn', image_check: str = 'skip',
                 image_check_workers: Optional[int] = None, max_image_retries: int = 10,
                 cache: Optional[str] = None, **kwargs) -> None:
        self.min_box_area = float(min_box_area)
        if box_check not in ('warn', 'strict'):
            raise ValueError(f"{self.__class__.__name__}: box_check must be 'warn' or "
                             f"'strict', got {box_check!r}")
        self.box_check = box_check
        self._box_checker: Optional[BoxChecker] = None
        if image_check not in ('skip', 'strict', 'off'):
            raise ValueError(f"{self.__class__.__name__}: image_check must be 'skip', "
                             f"'strict' or 'off', got {image_check!r}")
        self.image_check = image_check
        self.image_check_workers = image_check_workers
        self.max_image_retries = int(max_image_retries)
        if cache not in CACHE_MODES:
            raise ValueError(f"{self.__class__.__name__}: cache must be None or 'ram', "
                             f'got {cache!r}')
        self.cache = cache
        self._image_cache: Optional[ImageCache] = None
        # built here with our registry, so the pipeline resolves to yolo_toolbox's
        # transforms whatever the current default scope is
        pipeline = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(pipeline=pipeline, **kwargs)

    # ---------------------------------------------------------------- metainfo
    @classmethod
    def _load_metainfo(cls, metainfo: Optional[Mapping] = None) -> dict:
        info = super()._load_metainfo(metainfo)
        classes = info.get('classes')
        if isinstance(classes, str):
            classes = (classes, )
        classes = tuple(classes or ())
        if not classes:
            raise ValueError(f'{cls.__name__}: no classes; set metainfo=dict(classes=(...)) '
                             'to the class names of your dataset')
        duplicates = sorted({c for c in classes if classes.count(c) > 1})
        if duplicates:
            raise ValueError(f'{cls.__name__}: metainfo classes contain duplicates {duplicates}')
        info['classes'] = classes
        palette = info.get('palette')
        if not palette or len(palette) != len(classes):
            info['palette'] = make_palette(len(classes))
        return info

    @property
    def class_to_label(self) -> Dict[str, int]:
        """Class name -> contiguous label id (the order of ``metainfo['classes']``)."""
        return {name: i for i, name in enumerate(self._metainfo['classes'])}

    def unknown_class_message(self, name: str, where: str) -> str:
        """Error text for an object whose class is not in the class list."""
        return (f'{where}: unknown class name {name!r}; the known classes are '
                f'{list(self._metainfo["classes"])}. If this is a custom dataset, set '
                f'metainfo=dict(classes=(...)) in the dataset config to your class names '
                '(and model.bbox_head.num_classes to their count).')

    # ---------------------------------------------------------------- boxes
    def clip_and_check_box(self, box: Sequence[float], width: float, height: float,
                           where: str, file: Optional[str] = None) -> Optional[List[float]]:
        """Clip an xyxy box to the image; ``None`` when it is dropped (wholly outside,
        zero area, inverted, or area ``<= min_box_area``), as :mod:`.box_policy` says.

        What was clipped or dropped is counted per ``file`` (default: ``where`` up to its
        first ``:``) and reported once when loading ends (:meth:`report_boxes`).
        Raises ``ValueError`` (naming ``where``) for a non-finite coordinate.
        """
        if self._box_checker is None:
            self._box_checker = BoxChecker(min_box_area=self.min_box_area)
        return self._box_checker.fix(box, width, height, file or where.split(':')[0], where)

    def report_boxes(self) -> None:
        """Log the one summary of clipped / dropped boxes (``box_check='strict'``: raise
        with the same list); called by :meth:`filter_data`, right after loading."""
        checker, self._box_checker = self._box_checker, None
        if checker is not None:
            checker.report(self.__class__.__name__, strict=self.box_check == 'strict')

    def log_dropped(self, num_dropped: int, reason: str) -> None:
        if num_dropped:
            print_log(f'{self.__class__.__name__}: dropped {num_dropped} {reason}',
                      logger='current', level=logging.WARNING)

    # ---------------------------------------------------------------- image cache
    def _image_loaders(self) -> list:
        """This package's ``LoadImageFromFile`` instances in the pipeline, including those
        of multi-image transforms (``Mosaic.pre_transform``)."""
        from .transforms.loading import LoadImageFromFile
        found, todo = [], list(getattr(self.pipeline, 'transforms', []))
        while todo:
            t = todo.pop(0)
            if isinstance(t, LoadImageFromFile):
                found.append(t)
            for attr in ('transforms', 'pre_transform'):
                inner = getattr(t, attr, None)
                if isinstance(inner, (list, tuple)):
                    todo.extend(inner)
        return found

    def full_init(self) -> None:
        """mmengine's ``full_init`` (load, image check, filter, subset, serialise), then
        the image cache when ``cache='ram'``."""
        if self._fully_initialized:
            return
        super().full_init()
        if self.cache == 'ram' and self._image_cache is None:
            self._build_image_cache()

    def _build_image_cache(self) -> None:
        name = self.__class__.__name__
        loaders = self._image_loaders()
        if not loaders:
            raise ValueError(f"{name}: cache='ram' needs a LoadImageFromFile in the pipeline "
                             '(it decodes the images that the cache holds)')
        settings = {(t.color_type, t.imdecode_backend) for t in loaders}
        if len(settings) > 1:
            raise ValueError(f"{name}: cache='ram' needs one decoding setting, but the "
                             f'pipeline\'s LoadImageFromFile transforms use {sorted(settings)}')
        loader = loaders[0]
        channels = channels_of(loader.color_type)
        paths, shapes = [], []
        for i in range(len(self)):
            info = super().get_data_info(i)
            h, w = int(info.get('height') or 0), int(info.get('width') or 0)
            paths.append(info['img_path'])
            shapes.append((h, w, 3) if channels == 3 else (h, w))
        needed = sum(int(np.prod(s)) for s in shapes)
        check_budget(name, needed, local_copies())
        workers = self.image_check_workers or min(16, os.cpu_count() or 1)
        self._image_cache = ImageCache(paths, shapes, loader.decode, workers)
        self._image_cache.log(name)

    def _copy_without_annotation(self, memo=None):
        # a subset gets its own cache (built by get_subset), never a deep copy of this one
        cache, self._image_cache = self._image_cache, None
        try:
            return super()._copy_without_annotation({} if memo is None else memo)
        finally:
            self._image_cache = cache

    def get_subset(self, indices):
        sub = super().get_subset(indices)
        if sub.cache == 'ram' and sub._fully_initialized and sub._image_cache is None:
            sub._build_image_cache()
        return sub

    def get_subset_(self, indices) -> None:
        super().get_subset_(indices)
        if self._image_cache is not None:  # its indices no longer match: decode again
            self._image_cache = None
            self._build_image_cache()

    def get_data_info(self, idx: int) -> dict:
        """mmengine's data info of ``idx``, plus ``cached_img`` (a read-only view) when the
        image cache holds it."""
        info = super().get_data_info(idx)
        if self._image_cache is not None:
            img = self._image_cache.get(idx)
            if img is not None:
                info['cached_img'] = img
        return info

    # ---------------------------------------------------------------- access
    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on image ``idx`` (with a dataset reference in training).

        In training, an image that cannot be decoded (:class:`ImageReadError`, e.g. it
        was overwritten after the image check) is replaced by a random other index, with
        a warning, at most ``max_image_retries`` times.
        """
        for attempt in range(self.max_image_retries + 1):
            data_info = self.get_data_info(idx)
            if not self.test_mode:
                data_info['dataset'] = self  # for Mosaic; removed by the transform
            try:
                return self.pipeline(data_info)
            except ImageReadError as e:
                if self.test_mode:  # another image would falsify the evaluation
                    raise
                if attempt == self.max_image_retries:
                    raise type(e)(
                        f'{e}; the {self.max_image_retries} images tried instead could not be '
                        f'read either ({self.__class__.__name__}): giving up. Did the data '
                        'change during the run? A new run checks all images again.') from e
                new_idx = self._rand_another()
                print_log(f'{self.__class__.__name__}: {e}; using image #{new_idx} instead '
                          f'(replacement {attempt + 1} of at most {self.max_image_retries})',
                          logger='current', level=logging.WARNING)
                idx = new_idx

    def filter_data(self) -> List[dict]:
        """Drop unusable images (``image_check``), then apply ``filter_cfg`` (training
        only): ``filter_empty_gt``, ``min_size``."""
        self.report_boxes()
        data_list = self.check_images(self.data_list)
        if self.test_mode or not self.filter_cfg:
            return data_list
        unknown = set(self.filter_cfg) - {'filter_empty_gt', 'min_size'}
        if unknown:
            raise ValueError(f'{self.__class__.__name__}: unknown filter_cfg keys '
                             f'{sorted(unknown)}; known: filter_empty_gt, min_size')
        filter_empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        kept = []
        for info in data_list:
            has_gt = any(not inst['ignore_flag'] for inst in info['instances'])
            if filter_empty and not has_gt:
                continue
            if min(info['width'], info['height']) < min_size:
                continue
            kept.append(info)
        self.log_dropped(len(data_list) - len(kept),
                         f'of {len(data_list)} images by filter_cfg={self.filter_cfg}')
        return kept

    def check_images(self, data_list: List[dict]) -> List[dict]:
        """``data_list`` without the images that :mod:`.image_check` finds unusable.

        In a distributed run, rank 0 checks and the other ranks get its verdicts. Images
        behind a remote file backend (``s3://...``) are not checked. Logs one summary
        line (how many were checked or cached, how long it took, and the skipped files
        with their reasons).

        Raises:
            ValueError: ``image_check='strict'`` and some image is unusable, or no
                image is usable; the message lists them.
        """
        if self.image_check == 'off' or not data_list:
            return data_list
        name = self.__class__.__name__
        paths = [info['img_path'] for info in data_list]
        if any('://' in p for p in paths):  # a remote file backend: nothing to stat
            print_log(f'{name}: image check skipped: the images are not local files',
                      logger='current')
            return data_list
        # the main process of each rank (not a dataloader worker of a lazy dataset) joins
        collective = (is_distributed() and get_world_size() > 1
                      and torch.utils.data.get_worker_info() is None)
        verdicts, stats = None, None
        if not collective or get_rank() == 0:
            verdicts, stats = scan_images(paths, default_cache_file(paths),
                                          self.image_check_workers)
        if collective:
            shared = [verdicts, stats]
            broadcast_object_list(shared, src=0)
            verdicts, stats = shared
        problems = {}
        for info in data_list:
            verdict = verdicts[info['img_path']]
            problem = verdict if isinstance(verdict, str) else size_problem(
                verdict, info.get('height'), info.get('width'))
            if problem:
                problems[info['img_path']] = problem
        timing = (f'{stats["checked"]} checked, {stats["cached"]} from the cache, '
                  f'{stats["seconds"]:.1f} s')
        if not problems:
            print_log(f'{name}: all {len(data_list)} images are readable ({timing})',
                      logger='current')
            return data_list
        counts, files = f'{len(problems)} of {len(data_list)} images', format_skipped(problems)
        if self.image_check == 'strict' or len(problems) == len(data_list):
            raise ValueError(f'{name}: {counts} cannot be used: {files}. Fix or remove them'
                             + (", or set image_check='skip' to leave them out."
                                if len(problems) < len(data_list) else '.'))
        print_log(f'{name}: {counts} skipped: {files} ({timing})', logger='current',
                  level=logging.WARNING)
        return [info for info in data_list if info['img_path'] not in problems]

    def get_cat_ids(self, idx: int) -> List[int]:
        """Label ids of all instances of image ``idx`` (for class-aware samplers)."""
        return [inst['bbox_label'] for inst in self.get_data_info(idx)['instances']]
