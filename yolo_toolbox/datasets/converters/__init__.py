"""Converters of other annotation formats to the COCO JSON that ``CocoDataset`` reads.

Used by ``tools/dataset_converters/{yolo2coco,labelme2coco,voc2coco}.py``; each returns
a COCO dict that :func:`save_coco_json` writes.
"""
from .coco_json import CocoJsonBuilder, check_box, read_classes_file, save_coco_json, summary
from .labelme import labelme_to_coco
from .voc import voc_to_coco
from .yolo import yolo_to_coco

__all__ = ['CocoJsonBuilder', 'check_box', 'labelme_to_coco', 'read_classes_file',
           'save_coco_json', 'summary', 'voc_to_coco', 'yolo_to_coco']
