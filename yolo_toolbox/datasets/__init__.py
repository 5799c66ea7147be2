"""Datasets (registered in ``yolo_toolbox.registry.DATASETS``) and their transforms."""
from .base_det_dataset import BaseDetDataset, make_palette
from .coco import COCO_CLASSES, CocoDataset
from .demo import DEMO_CLASSES, make_demo_dataset
from .heldout import HELDOUT_CLASSES, make_heldout_dataset
from .transforms import *  # noqa: F401,F403  (registers the transforms)
from .voc import VOC_CLASSES, VOCDataset, parse_voc_xml
from .yolo_txt import YOLOTxtDataset, read_data_yaml

__all__ = ['BaseDetDataset', 'COCO_CLASSES', 'CocoDataset', 'DEMO_CLASSES', 'HELDOUT_CLASSES',
           'VOC_CLASSES', 'VOCDataset', 'make_demo_dataset', 'make_heldout_dataset', 'make_palette',
           'parse_voc_xml', 'read_data_yaml', 'YOLOTxtDataset']
