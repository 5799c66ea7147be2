"""tools/dataset_converters/voc2coco.py: VOC -> COCO JSON -> CocoDataset equals VOCDataset."""
import pytest

from tests._tools.converters import load_tool, read_back, summarise, write_image
from yolo_toolbox.datasets import VOC_CLASSES
from yolo_toolbox.datasets.converters import voc_to_coco
from yolo_toolbox.registry import DATASETS

CLASSES = ('cup', 'dog', 'kite')  # 'dog' is also a VOC class, the others are not


def write_voc(root, year, img_id, width, height, objects):
    """One image + XML; ``objects``: (name, difficult, (xmin, ymin, xmax, ymax)) 1-based."""
    write_image(root / year / 'JPEGImages' / f'{img_id}.jpg', width, height)
    xml = [f'<annotation><size><width>{width}</width><height>{height}</height>'
           '<depth>3</depth></size>']
    for name, difficult, (xmin, ymin, xmax, ymax) in objects:
        xml.append(f'<object><name>{name}</name><difficult>{int(difficult)}</difficult>'
                   f'<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax>'
                   f'<ymax>{ymax}</ymax></bndbox></object>')
    (root / year / 'Annotations').mkdir(parents=True, exist_ok=True)
    (root / year / 'Annotations' / f'{img_id}.xml').write_text(''.join(xml) + '</annotation>')


def write_split(root, year, lines):
    folder = root / year / 'ImageSets' / 'Main'
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'trainval.txt').write_text(''.join(line + '\n' for line in lines))


def make_devkit(root):
    write_voc(root, 'VOC2007', '000001', 64, 48, [
        ('dog', False, (1, 1, 16, 12)),
        ('cup', True, (20.5, 10, 64, 48)),    # difficult; float coordinates
        ('kite', False, (0, 5, 10, 20)),      # xmin 0 -> -1 px: clipped to 0
    ])
    write_voc(root, 'VOC2007', '000002', 32, 32, [])
    write_voc(root, 'VOC2012', '2012_000003', 40, 24, [('cup', False, (5, 5, 20, 20))])
    write_split(root, 'VOC2007', ['000001', '000002'])
    write_split(root, 'VOC2012', ['2012_000003  1'])  # class-specific split format
    (root / 'classes.txt').write_text('\n'.join(CLASSES))
    return root


def voc_dataset(root, **kwargs):
    dataset = DATASETS.build(dict(type='VOCDataset', data_root=str(root),
                                  years=('VOC2007', 'VOC2012'), split='trainval',
                                  metainfo=dict(classes=CLASSES), test_mode=True, **kwargs))
    return [dataset.get_data_info(i) for i in range(len(dataset))]


@pytest.mark.parametrize('difficult_as_gt', [False, True])
def test_round_trip_equals_voc_dataset(tmp_path, difficult_as_gt):
    root = make_devkit(tmp_path / 'VOCdevkit')
    out = tmp_path / 'voc0712_trainval.json'
    load_tool('voc2coco').main(
        [str(root), '--years', 'VOC2007', 'VOC2012', '--split', 'trainval', '--out', str(out),
         '--classes', str(root / 'classes.txt')]
        + (['--difficult-as-gt'] if difficult_as_gt else []))
    converted = summarise(read_back(out, root, CLASSES), root)
    assert converted == summarise(voc_dataset(root, difficult_as_gt=difficult_as_gt), root)
    difficult = int(not difficult_as_gt)
    assert converted == [
        ('VOC2007/JPEGImages/000001.jpg', 64, 48, [
            ([0.0, 0.0, 16.0, 12.0], 1, 0), ([19.5, 9.0, 64.0, 48.0], 0, difficult),
            ([0.0, 4.0, 10.0, 20.0], 2, 0)]),
        ('VOC2007/JPEGImages/000002.jpg', 32, 32, []),
        ('VOC2012/JPEGImages/2012_000003.jpg', 40, 24, [([4.0, 4.0, 20.0, 20.0], 0, 0)]),
    ]


def test_default_classes_are_voc(tmp_path):
    root = make_devkit(tmp_path / 'VOCdevkit')
    write_voc(root, 'VOC2007', '000001', 64, 48, [('dog', False, (1, 1, 16, 12))])
    write_split(root, 'VOC2007', ['000001'])
    coco = voc_to_coco(str(root), ['VOC2007'], 'trainval')
    assert [c['name'] for c in coco['categories']] == list(VOC_CLASSES)
    assert [ann['category_id'] for ann in coco['annotations']] == [VOC_CLASSES.index('dog') + 1]
    write_voc(root, 'VOC2007', '000001', 64, 48, [('dog', False, (1, 1, 16, 12)),
                                                  ('cup', False, (1, 1, 16, 12))])
    with pytest.raises(ValueError, match=r"000001\.xml: object #1 \('cup'\): unknown class name "
                                         r"'cup'; the known classes are \['aeroplane'"):
        voc_to_coco(str(root), ['VOC2007'], 'trainval')


def test_errors_name_the_file(tmp_path):
    root = make_devkit(tmp_path / 'VOCdevkit')
    with pytest.raises(FileNotFoundError,
                       match=r'split file .*VOC2007/ImageSets/Main/test\.txt does not exist'):
        voc_to_coco(str(root), ['VOC2007', 'VOC2012'], 'test', CLASSES)
    write_voc(root, 'VOC2007', '000002', 32, 32, [('horse', False, (1, 1, 5, 5))])
    with pytest.raises(ValueError, match=r"000002\.xml: object #0 \('horse'\): unknown class"):
        voc_to_coco(str(root), ['VOC2007'], 'trainval', CLASSES)
    write_voc(root, 'VOC2007', '000002', 32, 32, [('cup', False, (1, 1, 40, 5))])
    with pytest.raises(ValueError, match=r'voc2coco: 1 box clipped to the image \(partly '
                                         r'outside\): .*000002\.xml \(1\)'):
        voc_to_coco(str(root), ['VOC2007'], 'trainval', CLASSES, strict=True)
    write_voc(root, 'VOC2007', '000002', 32, 32, [('cup', False, (9, 1, 8, 5))])
    with pytest.raises(ValueError, match=r'voc2coco: 1 box dropped \(zero area\): '
                                         r'.*000002\.xml \(1\)'):
        voc_to_coco(str(root), ['VOC2007'], 'trainval', CLASSES, strict=True)
    (root / 'VOC2007' / 'JPEGImages' / '000002.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'image .*VOC2007/JPEGImages/000002\.jpg '
                                                r"\(listed in the VOC2007 'trainval' split\)"):
        voc_to_coco(str(root), ['VOC2007'], 'trainval', CLASSES)
    write_split(root, 'VOC2007', ['000001'])
    write_split(root, 'VOC2012', ['000001'])
    with pytest.raises(ValueError, match=r"image id '000001' appears twice"):
        voc_to_coco(str(root), ['VOC2007', 'VOC2012'], 'trainval', CLASSES)


def test_boxes_leaving_the_image_same_policy_as_the_dataset(tmp_path):
    """issue 19: the converter and VOCDataset clip / drop the same boxes, each with one
    warning naming the file and counts; strict mode stops both with the same list."""
    from mmengine.logging import MMLogger
    root = tmp_path / 'VOCdevkit'
    write_voc(root, 'VOC2007', '000001', 64, 48, [
        ('dog', False, (1, 1, 900, 12)),      # xmax 900 on a 64-px image: clipped
        ('cup', False, (-50, 5, 10, 20)),     # xmin -50: clipped
        ('cup', False, (100, 5, 120, 20)),    # wholly outside: dropped
        ('kite', False, (30, 5, 20, 20)),     # inverted: dropped
        ('kite', False, (5, 5, 4, 20)),       # xmax = xmin - 1: zero width, dropped
    ])
    write_split(root, 'VOC2007', ['000001'])
    logger = MMLogger.get_current_instance()
    messages = []
    handler_emit = type('H', (__import__('logging').Handler, ), dict(
        emit=lambda self, record: messages.append(record.getMessage())))()
    logger.addHandler(handler_emit)
    try:
        coco = voc_to_coco(str(root), ['VOC2007'], 'trainval', CLASSES)
        dataset = DATASETS.build(dict(type='VOCDataset', data_root=str(root), years='VOC2007',
                                      metainfo=dict(classes=CLASSES), test_mode=True))
    finally:
        logger.removeHandler(handler_emit)
    out = tmp_path / 'out.json'
    from yolo_toolbox.datasets.converters import save_coco_json
    save_coco_json(coco, str(out))
    assert summarise(read_back(out, root, CLASSES), root) == summarise(
        [dataset.get_data_info(0)], root)
    assert [ann['bbox'] for ann in coco['annotations']] == [[0.0, 0.0, 64.0, 12.0],
                                                           [0.0, 4.0, 10.0, 16.0]]
    expected = ('2 boxes clipped to the image (partly outside): {f} (2)',
                '1 box dropped (wholly outside the image): {f} (1)',
                '1 box dropped (zero area): {f} (1)',
                '1 box dropped (inverted: x2 < x1 or y2 < y1): {f} (1)')
    xml = str(root / 'VOC2007' / 'Annotations' / '000001.xml')
    for who in ('voc2coco', 'VOCDataset'):
        mine = [m for m in messages if m.startswith(f'{who}: ') and ' box' in m]
        assert len(mine) == 1, messages
        assert all(e.format(f=xml) in mine[0] for e in expected), mine
    with pytest.raises(ValueError, match=r'voc2coco: 2 boxes clipped .*000001\.xml \(2\)'):
        voc_to_coco(str(root), ['VOC2007'], 'trainval', CLASSES, strict=True)
    with pytest.raises(ValueError, match=r'VOCDataset: 2 boxes clipped .*000001\.xml \(2\)'):
        DATASETS.build(dict(type='VOCDataset', data_root=str(root), years='VOC2007',
                            metainfo=dict(classes=CLASSES), box_check='strict'))


def test_empty_split_file_is_an_error_naming_it(tmp_path):
    root = make_devkit(tmp_path / 'VOCdevkit')
    write_split(root, 'VOC2007', [])
    with pytest.raises(ValueError, match=r'voc2coco: split file .*VOC2007/ImageSets/Main/'
                                         r'trainval\.txt is empty'):
        load_tool('voc2coco').main([str(root), '--years', 'VOC2007', '--split', 'trainval',
                                    '--out', str(tmp_path / 'out.json')])
    assert not (tmp_path / 'out.json').exists()
