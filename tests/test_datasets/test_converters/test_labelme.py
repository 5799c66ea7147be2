"""tools/dataset_converters/labelme2coco.py: labelme JSON -> COCO JSON -> CocoDataset."""
import json
import re

import pytest

from tests._tools.converters import load_tool, read_back, summarise, write_image
from yolo_toolbox.datasets.converters import labelme_to_coco


def rectangle(label, *points):
    return dict(label=label, points=[list(p) for p in points], shape_type='rectangle',
                group_id=None, flags={})


def polygon(label, *points, shape_type='polygon'):
    return dict(label=label, points=[list(p) for p in points], shape_type=shape_type)


def write_labelme(path, image_path, width, height, shapes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(version='5.4.1', flags={}, shapes=shapes,
                                    imagePath=image_path, imageData=None,
                                    imageWidth=width, imageHeight=height)))


def make_labelme_set(root):
    """root/a.json + a.jpg (64x48); root/ann/b.json -> ../images/b.png (32x32, Windows path)."""
    write_image(root / 'a.jpg', 64, 48)
    write_labelme(root / 'a.json', 'a.jpg', 64, 48, [
        rectangle('dog', (40, 36), (24, 12)),                  # corners in reverse order
        polygon('cat', (8, 40), (0, 24), (16, 48), (4, 30)),   # its bounding box
        polygon('cat', (1, 2), (5, 2), (3, 9), shape_type=None),  # old labelme: a polygon
    ])
    write_image(root / 'images' / 'b.png', 32, 32)
    write_labelme(root / 'ann' / 'b.json', '..\\images\\b.png', 32, 32, [
        rectangle('bird', (0.5, 2.5), (16.25, 30))])
    return root


def test_labelme_to_coco_sorted_classes(tmp_path):
    root = make_labelme_set(tmp_path / 'labelme')
    out = root / 'coco.json'  # inside the folder: the next run must not read it
    tool = load_tool('labelme2coco')
    tool.main([str(root), '--out', str(out)])
    expected = [
        ('a.jpg', 64, 48, [([24.0, 12.0, 40.0, 36.0], 2, 0), ([0.0, 24.0, 16.0, 48.0], 1, 0),
                           ([1.0, 2.0, 5.0, 9.0], 1, 0)]),
        ('images/b.png', 32, 32, [([0.5, 2.5, 16.25, 30.0], 0, 0)]),
    ]
    classes = ('bird', 'cat', 'dog')
    assert [c['name'] for c in json.loads(out.read_text())['categories']] == list(classes)
    assert summarise(read_back(out, root, classes), root) == expected
    # again, now with coco.json and the dataset's image-check cache in the folder
    tool.main([str(root), '--out', str(out)])
    assert summarise(read_back(out, root, classes), root) == expected


def test_labelme_to_coco_classes_file(tmp_path):
    root = make_labelme_set(tmp_path / 'labelme')
    (tmp_path / 'classes.txt').write_text('dog\ncat\nbird\nfish\n')
    out = tmp_path / 'coco.json'
    load_tool('labelme2coco').main([str(root), '--out', str(out),
                                    '--classes', str(tmp_path / 'classes.txt')])
    labels = [[label for _, label, _ in boxes]
              for *_, boxes in summarise(read_back(out, root, ('dog', 'cat', 'bird', 'fish')),
                                         root)]
    assert labels == [[0, 1, 1], [2]]


@pytest.mark.parametrize('shape, error', [
    (polygon('cat', (1, 1), (9, 9), shape_type='circle'),
     r"\('cat', circle\): unknown labelme shape type 'circle'"),
    (polygon('cat', (1, 1), (9, 9), shape_type='linestrip'), 'unknown labelme shape type'),
    (rectangle('cat', (1, 1), (9, 9), (4, 4)), 'a rectangle needs exactly 2 points, got 3'),
    (polygon('cat', (1, 1), (9, 9)), 'a polygon needs at least 3 points, got 2'),
    (rectangle('cat', (1, 'x'), (9, 9)), r'points must be a list of \[x, y\] number pairs'),
    (rectangle('horse', (1, 1), (9, 9)), "label 'horse' is not one of the classes"),
    (rectangle('', (1, 1), (9, 9)), 'the shape has no label'),
])
def test_bad_shapes_name_the_file_and_shape(tmp_path, shape, error):
    root = tmp_path / 'labelme'
    write_image(root / 'a.jpg', 64, 48)
    write_labelme(root / 'a.json', 'a.jpg', 64, 48, [rectangle('cat', (1, 1), (9, 9)), shape])
    with pytest.raises(ValueError, match=r'a\.json: shape #1 .*' + error):
        labelme_to_coco(str(root), classes=('cat', 'dog'))


@pytest.mark.parametrize('shape, kind', [
    (rectangle('cat', (1, 1), (9, 1)), 'dropped (zero area)'),
    (rectangle('cat', (10, 10), (70, 20)), 'clipped to the image'),
    (rectangle('cat', (70, 10), (90, 20)), 'dropped (wholly outside the image)'),
])
def test_boxes_leaving_the_image_warn_or_stop_in_strict_mode(tmp_path, shape, kind):
    root = tmp_path / 'labelme'
    write_image(root / 'a.jpg', 64, 48)
    write_labelme(root / 'a.json', 'a.jpg', 64, 48, [rectangle('cat', (1, 1), (9, 9)), shape])
    coco = labelme_to_coco(str(root), classes=('cat', 'dog'))
    assert len(coco['annotations']) == (2 if 'clipped' in kind else 1)
    with pytest.raises(ValueError, match=r'labelme2coco: 1 box ' + re.escape(kind)
                                         + r'.*a\.json \(1\)'):
        labelme_to_coco(str(root), classes=('cat', 'dog'), strict=True)


def test_missing_or_mismatched_image_and_broken_json(tmp_path):
    root = tmp_path / 'labelme'
    write_labelme(root / 'a.json', 'gone.jpg', 64, 48, [rectangle('cat', (1, 1), (9, 9))])
    with pytest.raises(FileNotFoundError, match=r'a\.json: image .*gone\.jpg does not exist'):
        labelme_to_coco(str(root))
    write_image(root / 'gone.jpg', 64, 40)
    with pytest.raises(ValueError, match=r'a\.json: imageWidth x imageHeight is 64x48 but the '
                                         r'image .*gone\.jpg is 64x40'):
        labelme_to_coco(str(root))
    (root / 'a.json').write_text('{"shapes": [')
    with pytest.raises(ValueError, match=r'a\.json: not valid JSON'):
        labelme_to_coco(str(root))
    (root / 'a.json').write_text('{"images": []}')
    with pytest.raises(ValueError, match=r'a\.json: not a labelme file'):
        labelme_to_coco(str(root))
    (root / 'a.json').unlink()
    with pytest.raises(ValueError, match='no .json files under'):
        labelme_to_coco(str(root))
