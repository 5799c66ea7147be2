"""CocoDataset: category names -> contiguous labels, crowd -> ignored, xywh -> xyxy, errors."""
import json

import cv2
import numpy as np
import pytest

import yolo_toolbox.datasets.base_det_dataset as base_module
from yolo_toolbox.registry import DATASETS


def write_coco(tmp_path, annotations, categories=None):
    (tmp_path / 'images').mkdir(exist_ok=True)
    images = [dict(id=1, file_name='a.jpg', width=100, height=80),
              dict(id=2, file_name='b.jpg', width=60, height=40)]
    for img in images:
        cv2.imwrite(str(tmp_path / 'images' / img['file_name']),
                    np.zeros((img['height'], img['width'], 3), np.uint8))
    categories = categories or [dict(id=5, name='cat'), dict(id=9, name='dog'),
                                dict(id=11, name='bird')]
    for i, ann in enumerate(annotations):
        ann.setdefault('id', i + 1)
        ann.setdefault('iscrowd', 0)
        ann.setdefault('area', ann['bbox'][2] * ann['bbox'][3])
    (tmp_path / 'ann.json').write_text(json.dumps(
        dict(images=images, annotations=annotations, categories=categories)))
    return str(tmp_path)


def build(root, **kwargs):
    cfg = dict(type='CocoDataset', data_root=root, ann_file='ann.json',
               data_prefix=dict(img_path='images/'), metainfo=dict(classes=('dog', 'cat')))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_reads_boxes_labels_by_name_and_crowd_as_ignored(tmp_path):
    root = write_coco(tmp_path, [
        dict(image_id=1, category_id=5, bbox=[10, 20, 30, 40]),
        dict(image_id=1, category_id=9, bbox=[50, 50, 80, 10], iscrowd=1),  # clipped at x=100
        dict(image_id=1, category_id=9, bbox=[5, 5, 0, 10]),  # zero width: dropped
    ])
    ds = build(root)
    assert len(ds) == 2
    info = ds.get_data_info(0)
    assert info['img_path'].endswith('images/a.jpg')
    assert (info['img_id'], info['width'], info['height']) == (1, 100, 80)
    assert info['instances'] == [
        dict(bbox=[10.0, 20.0, 40.0, 60.0], bbox_label=1, ignore_flag=0),  # 'cat' is class 1
        dict(bbox=[50.0, 50.0, 100.0, 60.0], bbox_label=0, ignore_flag=1)]
    assert ds.get_data_info(1)['instances'] == []


def test_unknown_category_is_an_error_unless_filtered(tmp_path, monkeypatch):
    root = write_coco(tmp_path, [dict(image_id=2, category_id=11, bbox=[1, 1, 5, 5]),
                                 dict(image_id=2, category_id=9, bbox=[1, 1, 5, 5])])
    with pytest.raises(ValueError, match=r"ann\.json.*unknown class name 'bird'.*metainfo"):
        build(root)
    logged = []
    monkeypatch.setattr(base_module, 'print_log', lambda msg, **kw: logged.append(msg))
    ds = build(root, filter_unknown_classes=True)
    assert [i['bbox_label'] for i in ds.get_data_info(1)['instances']] == [0]
    assert any('dropped 1 objects of categories' in msg for msg in logged), logged


def test_missing_files_raise_and_negative_boxes_are_dropped_or_strict(tmp_path):
    root = write_coco(tmp_path, [dict(image_id=1, category_id=5, bbox=[10, 20, -3, 4]),
                                 dict(image_id=2, category_id=5, bbox=[50, 10, 30, 10])])
    ds = build(root)  # the same policy as VOCDataset and the converters
    assert ds.get_data_info(0)['instances'] == []
    assert ds.get_data_info(1)['instances'][0]['bbox'] == [50.0, 10.0, 60.0, 20.0]
    with pytest.raises(ValueError, match=r'CocoDataset: 1 box clipped .*b\.jpg \(1\); 1 box '
                                         r'dropped \(inverted.*a\.jpg \(1\)'):
        build(root, box_check='strict')
    (tmp_path / 'empty.json').write_text(json.dumps(dict(images=[], annotations=[],
                                                         categories=[])))
    with pytest.raises(ValueError, match=r'empty\.json lists no images'):
        build(root, ann_file='empty.json')
    with pytest.raises(FileNotFoundError, match='nothere.json'):
        build(root, ann_file='nothere.json')
    write_coco(tmp_path, [])
    (tmp_path / 'images' / 'b.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'images/b\.jpg'):
        build(root)
