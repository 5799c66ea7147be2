"""Helpers of the converter tests: tiny images, the tools as modules, reading back."""
import os.path as osp
from pathlib import Path
from types import ModuleType
from typing import List, Sequence

import cv2
import numpy as np

from tests import _tools
from yolo_toolbox.registry import DATASETS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name: str) -> ModuleType:
    """Import ``tools/dataset_converters/{name}.py`` as a module."""
    return _tools.load_tool(f'tools/dataset_converters/{name}.py')


def write_image(path: Path, width: int, height: int) -> None:
    """A black ``width`` x ``height`` image (format from the suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.zeros((height, width, 3), np.uint8))


def read_back(ann_file: Path, img_dir: Path, classes: Sequence[str]) -> List[dict]:
    """The data list of ``CocoDataset`` built from a config dict on a converted file."""
    dataset = DATASETS.build(dict(type='CocoDataset', ann_file=str(ann_file),
                                  data_prefix=dict(img_path=str(img_dir)),
                                  metainfo=dict(classes=tuple(classes)), test_mode=True))
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def summarise(data_list: List[dict], img_dir: Path) -> List[tuple]:
    """``(relative image path, width, height, [(bbox, label, ignore_flag)])`` per image."""
    return [(osp.relpath(info['img_path'], str(img_dir)), info['width'], info['height'],
             [(inst['bbox'], inst['bbox_label'], inst['ignore_flag'])
              for inst in info['instances']])
            for info in data_list]
