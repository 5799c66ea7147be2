"""Shared code of the detection datasets: class list, filtering, multi-image access.

Every dataset here produces the MMDetection data-list layout::

    dict(img_path=str, img_id=str|int, height=int, width=int,
         instances=[dict(bbox=[x1, y1, x2, y2],   # float, 0-based pixels of the file image
                         bbox_label=int,          # index into metainfo['classes']
                         ignore_flag=0 | 1)])     # 1: counts neither as hit nor miss
"""
import colorsys
import logging
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from yolo_toolbox.registry import TRANSFORMS


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

    Args:
        pipeline: transform configs (built from this package's ``TRANSFORMS``) or callables.
        min_box_area: boxes whose area (pixels^2, after clipping to the image) is
            ``<=`` this are dropped at load time, with a logged count; zero-area
            boxes are always dropped.
        **kwargs: the remaining ``mmengine.dataset.BaseDataset`` arguments
            (``ann_file``, ``metainfo``, ``data_root``, ``data_prefix``, ``filter_cfg``,
            ``indices``, ``serialize_data``, ``test_mode``, ``lazy_init``, ``max_refetch``).
    """

    METAINFO: dict = dict(classes=(), palette=[])

    def __init__(self, *, pipeline: Sequence[Union[dict, Callable]] = (),
                 min_box_area: float = 0.0, **kwargs) -> None:
        self.min_box_area = float(min_box_area)
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
                           where: str) -> Optional[List[float]]:
        """Clip an xyxy box to the image; ``None`` when it must be dropped.

        Raises ``ValueError`` (naming ``where``) for negative extents (x2 < x1 or
        y2 < y1), which mean a malformed annotation.
        """
        x1, y1, x2, y2 = (float(v) for v in box)
        if x2 < x1 or y2 < y1:
            raise ValueError(f'{where}: malformed box [x1, y1, x2, y2] = '
                             f'{[x1, y1, x2, y2]} has a negative width or height')
        x1, x2 = min(max(x1, 0.0), width), min(max(x2, 0.0), width)
        y1, y2 = min(max(y1, 0.0), height), min(max(y2, 0.0), height)
        area = (x2 - x1) * (y2 - y1)
        if x2 <= x1 or y2 <= y1 or area <= self.min_box_area:
            return None
        return [x1, y1, x2, y2]

    def log_dropped(self, num_dropped: int, reason: str) -> None:
        if num_dropped:
            print_log(f'{self.__class__.__name__}: dropped {num_dropped} {reason}',
                      logger='current', level=logging.WARNING)

    # ---------------------------------------------------------------- access
    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on image ``idx`` (with a dataset reference in training)."""
        data_info = self.get_data_info(idx)
        if not self.test_mode:
            data_info['dataset'] = self  # for Mosaic; removed by the transform
        return self.pipeline(data_info)

    def filter_data(self) -> List[dict]:
        """Apply ``filter_cfg`` (training only): ``filter_empty_gt``, ``min_size``."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        unknown = set(self.filter_cfg) - {'filter_empty_gt', 'min_size'}
        if unknown:
            raise ValueError(f'{self.__class__.__name__}: unknown filter_cfg keys '
                             f'{sorted(unknown)}; known: filter_empty_gt, min_size')
        filter_empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        kept = []
        for info in self.data_list:
            has_gt = any(not inst['ignore_flag'] for inst in info['instances'])
            if filter_empty and not has_gt:
                continue
            if min(info['width'], info['height']) < min_size:
                continue
            kept.append(info)
        self.log_dropped(len(self.data_list) - len(kept),
                         f'of {len(self.data_list)} images by filter_cfg={self.filter_cfg}')
        return kept

    def get_cat_ids(self, idx: int) -> List[int]:
        """Label ids of all instances of image ``idx`` (for class-aware samplers)."""
        return [inst['bbox_label'] for inst in self.get_data_info(idx)['instances']]
