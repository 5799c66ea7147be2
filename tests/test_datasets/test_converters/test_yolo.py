"""tools/dataset_converters/yolo2coco.py: YOLO txt labels -> COCO JSON -> CocoDataset."""
import json
import re

import pytest

from tests._tools.converters import load_tool, read_back, summarise, write_image
from yolo_toolbox.datasets.converters import yolo_to_coco

CLASSES = ('cat', 'dog', 'bird')


def make_yolo_set(root):
    """images/{a.jpg 64x48, sub/b.png 32x32, c.jpg 40x24 (no label)}, labels/, classes.txt.

    Normalised values are dyadic fractions, so the pixel boxes are exact.
    """
    images, labels = root / 'images', root / 'labels'
    write_image(images / 'a.jpg', 64, 48)
    write_image(images / 'sub' / 'b.png', 32, 32)
    write_image(images / 'c.jpg', 40, 24)
    (labels / 'sub').mkdir(parents=True)
    (labels / 'a.txt').write_text('0 0.5 0.5 0.25 0.5\n\n2 0.125 0.75 0.25 0.5\n')
    (labels / 'sub' / 'b.txt').write_text('1 0.25 0.25 0.5 0.5\n')
    (labels / 'classes.txt').write_text('cat\ndog\nbird\n')  # LabelImg puts it here
    return images, labels, labels / 'classes.txt'


def test_yolo_to_coco_reads_back_exact_boxes(tmp_path, capsys):
    images, labels, classes = make_yolo_set(tmp_path)
    out = tmp_path / 'annotations' / 'train.json'
    load_tool('yolo2coco').main([str(images), str(labels), '--classes', str(classes),
                                 '--out', str(out)])
    assert 'wrote' in capsys.readouterr().out
    coco = json.loads(out.read_text())
    assert coco['categories'] == [dict(id=1, name='cat'), dict(id=2, name='dog'),
                                  dict(id=3, name='bird')]
    assert summarise(read_back(out, images, CLASSES), images) == [
        ('a.jpg', 64, 48, [([24.0, 12.0, 40.0, 36.0], 0, 0), ([0.0, 24.0, 16.0, 48.0], 2, 0)]),
        ('c.jpg', 40, 24, []),  # no label file: a background image
        ('sub/b.png', 32, 32, [([0.0, 0.0, 16.0, 16.0], 1, 0)]),
    ]


@pytest.mark.parametrize('line, error', [
    ('0 0.5 0.5 0.25', 'expected 5 fields "class cx cy w h", got 4'),
    ('0 0.5 0.5 0.25 0.5 0.5 0.5', 'got 7.*segment labels are not supported'),
    ('3 0.5 0.5 0.25 0.5', 'class id 3 is out of range.*3 classes'),
    ('-1 0.5 0.5 0.25 0.5', 'class id -1 is out of range'),
    ('cat 0.5 0.5 0.25 0.5', "class id 'cat' is not an integer"),
    ('0 0.5 half 0.25 0.5', 'must be numbers'),
    ('0 nan 0.5 0.25 0.5', 'non-finite'),
])
def test_bad_label_lines_name_the_file_and_line(tmp_path, line, error):
    images, labels, classes = make_yolo_set(tmp_path)
    (labels / 'a.txt').write_text('1 0.5 0.5 0.25 0.5\n' + line + '\n')
    with pytest.raises(ValueError, match=re.escape(f'{labels / "a.txt"}:2: ') + '.*' + error):
        yolo_to_coco(str(images), str(labels), str(classes))


@pytest.mark.parametrize('line, kind', [
    ('0 0.875 0.5 0.5 0.5', 'clipped to the image'),  # x2 = 1.125 * 64 = 72 px
    ('0 0.5 0.5 0 0.5', 'dropped (zero area)'),
    ('0 0.5 0.5 0.25 -0.5', 'dropped (inverted'),
])
def test_boxes_leaving_the_image_warn_or_stop_in_strict_mode(tmp_path, line, kind):
    images, labels, classes = make_yolo_set(tmp_path)
    (labels / 'a.txt').write_text('1 0.5 0.5 0.25 0.5\n' + line + '\n')
    coco = yolo_to_coco(str(images), str(labels), str(classes))
    assert len([a for a in coco['annotations'] if a['image_id'] == 1]) == (
        2 if 'clipped' in kind else 1)
    with pytest.raises(ValueError, match=r'yolo2coco: 1 box ' + re.escape(kind) + '.*'
                                         + re.escape(f'{labels / "a.txt"} (1)')):
        yolo_to_coco(str(images), str(labels), str(classes), strict=True)


def test_missing_image_and_missing_classes_file(tmp_path):
    images, labels, classes = make_yolo_set(tmp_path)
    with pytest.raises(FileNotFoundError, match=r'classes file .*names\.txt does not exist'):
        yolo_to_coco(str(images), str(labels), str(tmp_path / 'names.txt'))
    (labels / 'lost.txt').write_text('0 0.5 0.5 0.25 0.5\n')
    with pytest.raises(FileNotFoundError, match=r'lost\.txt: no image for this label file'):
        yolo_to_coco(str(images), str(labels), str(classes))


def test_unreadable_image_and_shared_label_are_refused(tmp_path):
    images, labels, classes = make_yolo_set(tmp_path)
    (images / 'a.jpg').write_bytes(b'\xff\xd8\xff not a jpeg')
    with pytest.raises(ValueError, match=r'a\.txt: image .*a\.jpg cannot be used'):
        yolo_to_coco(str(images), str(labels), str(classes))
    write_image(images / 'a.jpg', 64, 48)
    write_image(images / 'a.png', 64, 48)
    with pytest.raises(ValueError, match=r'a\.jpg and .*a\.png would share the label file'):
        yolo_to_coco(str(images), str(labels), str(classes))
