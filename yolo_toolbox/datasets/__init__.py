"""Datasets (registered in ``yolo_toolbox.registry.DATASETS``) and their transforms."""
from .base_det_dataset import BaseDetDataset, make_palette
from .coco import COCO_CLASSES, CocoDataset
from .transforms import *  # noqa: F401,F403  (registers the transforms)
from .voc import VOC_CLASSES, VOCDataset, parse_voc_xml
from .yolo_txt import YOLOTxtDataset, read_data_yaml

__all__ = ['BaseDetDataset', 'COCO_CLASSES', 'CocoDataset', 'VOC_CLASSES', 'VOCDataset',
           'make_palette', 'parse_voc_xml', 'read_data_yaml', 'YOLOTxtDataset']

# The synthetic set generators are not part of the library any more: they live in
# tools/misc/synthetic_data/ next to the scripts that run them. Say so to old callers.
_MOVED_TO_TOOLS = ('DEMO_CLASSES', 'HELDOUT_CLASSES', 'make_demo_dataset',
                   'make_heldout_dataset')


def __getattr__(name: str):
    if name in _MOVED_TO_TOOLS:
        raise AttributeError(
            f'yolo_toolbox.datasets.{name} moved out of the package to '
            f'tools/misc/synthetic_data/ (a checkout\'s tools, not installed): run '
            'tools/misc/make_demo_dataset.py or make_heldout_dataset.py, or import '
            f'{name} from synthetic_data with tools/misc on the path')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
