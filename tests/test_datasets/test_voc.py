"""VOCDataset: XML parsing, coordinate convention, difficult handling and error messages."""
import os.path as osp
import re

import cv2
import numpy as np
import pytest

import yolo_toolbox.datasets.base_det_dataset as base_module
import yolo_toolbox.datasets.box_policy as box_module
from yolo_toolbox.registry import DATASETS

CLASSES = ('cat', 'dog')


def obj_xml(name='cat', box=(11, 21, 50, 60), difficult=0):
    xmin, ymin, xmax, ymax = box
    return (f'<object><name>{name}</name><difficult>{difficult}</difficult><bndbox>'
            f'<xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax>'
            '</bndbox></object>')


def ann_xml(objects='', size='<size><width>100</width><height>80</height><depth>3</depth></size>'):
    return f'<annotation><filename>x.jpg</filename>{size}{objects}</annotation>'


def write_voc(root, annotations: dict, split='trainval', year='VOC2007', images=True):
    """Write {img_id: xml text} in VOC layout under ``root``; returns data_root."""
    base = osp.join(root, year)
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (root / year / sub).mkdir(parents=True, exist_ok=True)
    for img_id, text in annotations.items():
        (root / year / 'Annotations' / f'{img_id}.xml').write_text(text)
        if images:
            cv2.imwrite(osp.join(base, 'JPEGImages', f'{img_id}.jpg'),
                        np.zeros((80, 100, 3), np.uint8))
    (root / year / 'ImageSets' / 'Main' / f'{split}.txt').write_text(
        ''.join(f'{i}\n' for i in annotations))
    return str(root)


def build(data_root, **kwargs):
    cfg = dict(type='VOCDataset', data_root=data_root, years=('VOC2007', ), split='trainval',
               metainfo=dict(classes=CLASSES))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_valid_file_gives_zero_based_boxes_and_ignore_flags(tmp_path):
    xml = ann_xml(obj_xml('cat', (11, 21, 50, 60)) + obj_xml('dog', (1, 1, 120, 80), difficult=1))
    root = write_voc(tmp_path, {'000001': xml, '000002': ann_xml()})
    ds = build(root)
    assert len(ds) == 2  # the image without objects is a valid negative
    info = ds.get_data_info(0)
    assert (info['img_id'], info['width'], info['height']) == ('000001', 100, 80)
    assert info['img_path'].endswith(osp.join('VOC2007', 'JPEGImages', '000001.jpg'))
    cat, dog = info['instances']
    assert cat == dict(bbox=[10.0, 20.0, 50.0, 60.0], bbox_label=0, ignore_flag=0)
    assert dog['bbox'] == [0.0, 0.0, 100.0, 80.0]  # clipped to the image
    assert (dog['bbox_label'], dog['ignore_flag']) == (1, 1)
    assert ds.get_data_info(1)['instances'] == []
    assert ds.get_cat_ids(0) == [0, 1]

    as_gt = build(root, difficult_as_gt=True)
    assert as_gt.get_data_info(0)['instances'][1]['ignore_flag'] == 0


def test_default_metainfo_is_voc_and_custom_classes_get_a_palette(tmp_path):
    xml = ann_xml(obj_xml('dog'))
    root = write_voc(tmp_path, {'000001': xml})
    ds = build(root)
    assert ds.metainfo['classes'] == CLASSES and len(ds.metainfo['palette']) == 2
    voc = DATASETS.build(dict(type='VOCDataset', data_root=root, years='VOC2007', lazy_init=True))
    assert voc.metainfo['classes'][0] == 'aeroplane' and len(voc.metainfo['classes']) == 20
    assert voc.metainfo['classes'][-1] == 'tvmonitor' and len(voc.metainfo['palette']) == 20


def test_zero_area_and_small_boxes_dropped_with_logged_count(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(base_module, 'print_log', lambda msg, **kw: logged.append(msg))
    monkeypatch.setattr(box_module, 'print_log', lambda msg, **kw: logged.append(msg))
    objects = (obj_xml('cat', (11, 21, 10, 60))  # xmax = xmin - 1: zero width
               + obj_xml('cat', (200, 10, 220, 20))  # outside the 100 px wide image
               + obj_xml('dog', (11, 21, 13, 23))  # 3 x 3 = 9 px^2
               + obj_xml('dog', (11, 21, 50, 60)))
    root = write_voc(tmp_path, {'000001': ann_xml(objects)})
    ds = build(root)
    assert len(ds.get_data_info(0)['instances']) == 2
    boxes = [msg for msg in logged if 'box' in msg]
    assert len(boxes) == 1, logged  # one summary, naming the file and counts
    assert re.search(r'1 box dropped \(wholly outside the image\): .*000001\.xml \(1\); '
                     r'1 box dropped \(zero area\): .*000001\.xml \(1\)', boxes[0]), boxes
    logged.clear()
    ds = build(root, min_box_area=9.0)
    assert [i['bbox_label'] for i in ds.get_data_info(0)['instances']] == [1]
    assert any(r'1 box dropped (area <= min_box_area=9 px^2)' in msg for msg in logged), logged


def test_boxes_leaving_the_image_clipped_or_dropped_with_one_warning_or_strict(
        tmp_path, monkeypatch):
    """issue 19: xmax 900 on a 100-px image, xmin -50, a box wholly outside, an inverted
    one: clipped / dropped with one warning naming the files; box_check='strict' stops."""
    logged = []
    monkeypatch.setattr(base_module, 'print_log', lambda msg, **kw: logged.append(msg))
    monkeypatch.setattr(box_module, 'print_log', lambda msg, **kw: logged.append(msg))
    root = write_voc(tmp_path, {
        '000001': ann_xml(obj_xml('cat', (11, 21, 900, 60)) + obj_xml('dog', (-50, 21, 50, 60))),
        '000002': ann_xml(obj_xml('cat', (200, 10, 220, 20)) + obj_xml('cat', (30, 1, 5, 5))
                          + obj_xml('dog', (11, 21, 50, 60)))})
    ds = build(root)
    assert [i['bbox'] for i in ds.get_data_info(0)['instances']] == [
        [10.0, 20.0, 100.0, 60.0], [0.0, 20.0, 50.0, 60.0]]
    assert len(ds.get_data_info(1)['instances']) == 1
    boxes = [msg for msg in logged if 'box' in msg]
    assert len(boxes) == 1 and boxes[0].startswith('VOCDataset: 2 boxes clipped'), logged
    for text in (r'000001\.xml \(2\)', r'wholly outside the image\): .*000002\.xml \(1\)',
                 r'inverted: x2 < x1 or y2 < y1\): .*000002\.xml \(1\)'):
        assert re.search(text, boxes[0]), boxes[0]
    with pytest.raises(ValueError, match=r'VOCDataset: 2 boxes clipped .*000001\.xml \(2\).*'
                                         r'000002\.xml \(1\)'):
        build(root, box_check='strict')


def test_empty_or_missing_split_file_names_the_file(tmp_path):
    root = write_voc(tmp_path, {'000001': ann_xml()})
    split = tmp_path / 'VOC2007' / 'ImageSets' / 'Main' / 'trainval.txt'
    split.write_text('\n')
    with pytest.raises(ValueError, match=r'split file .*VOC2007/ImageSets/Main/trainval\.txt '
                                         r'is empty'):
        build(root)
    split.unlink()
    with pytest.raises(FileNotFoundError, match=r'split file .*trainval\.txt does not exist'):
        build(root)


@pytest.mark.parametrize('xml, message', [
    ('<annotation><size>', 'malformed VOC XML'),
    (ann_xml(obj_xml(), size=''), 'missing <size>'),
    (ann_xml('<object><name>cat</name></object>'), 'missing <bndbox>'),
    (ann_xml('<object><bndbox><xmin>1</xmin></bndbox></object>'), 'missing <name>'),
    (ann_xml(obj_xml(box=('a', 1, 5, 5))), 'not a number'),
    (ann_xml(obj_xml('horse')), "unknown class name 'horse'.*metainfo"),
])
def test_malformed_annotations_raise_naming_the_file(tmp_path, xml, message):
    root = write_voc(tmp_path, {'000007': xml})
    with pytest.raises(ValueError, match=r'000007\.xml.*' + message):
        build(root)


def test_missing_files_raise_naming_the_file(tmp_path):
    root = write_voc(tmp_path, {'000001': ann_xml()}, images=False)
    with pytest.raises(FileNotFoundError, match=r'000001\.jpg'):
        build(root)
    with pytest.raises(FileNotFoundError, match=r'Main/test\.txt'):
        build(root, split='test')
    with pytest.raises(FileNotFoundError, match=r'VOC2012/ImageSets/Main/trainval\.txt'):
        build(root, years=('VOC2007', 'VOC2012'))  # all split files are checked first
    cv2.imwrite(osp.join(root, 'VOC2007', 'JPEGImages', '000001.jpg'), np.zeros((8, 8, 3)))
    (tmp_path / 'VOC2007' / 'Annotations' / '000001.xml').unlink()
    with pytest.raises(FileNotFoundError, match=r'Annotations/000001\.xml'):
        build(root)


def test_filter_empty_gt_only_in_training(tmp_path):
    xml = ann_xml(obj_xml('cat') + obj_xml('dog', difficult=1))
    only_difficult = ann_xml(obj_xml('dog', difficult=1))
    root = write_voc(tmp_path, {'a': xml, 'b': ann_xml(), 'c': only_difficult})
    assert len(build(root, filter_cfg=dict(filter_empty_gt=True))) == 1
    assert len(build(root, filter_cfg=dict(filter_empty_gt=True), test_mode=True)) == 3
    with pytest.raises(ValueError, match='unknown filter_cfg'):
        build(root, filter_cfg=dict(filter_empty=True))


def test_prepare_data_passes_the_dataset_in_training_only(tmp_path):
    root = write_voc(tmp_path, {'a': ann_xml(obj_xml())})
    seen = []
    train = build(root, pipeline=[lambda results: seen.append(results) or results])
    assert train[0]['dataset'] is train
    test = build(root, test_mode=True, pipeline=[lambda results: results])
    assert 'dataset' not in test[0]
