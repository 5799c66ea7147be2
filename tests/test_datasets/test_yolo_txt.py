"""YOLOTxtDataset: Ultralytics data.yaml, images + labels/*.txt, the same boxes as
yolo2coco.py + CocoDataset, and the bad-input policy of the other datasets."""
import random
import re

import numpy as np
import pytest

from tests._tools.converters import load_tool, read_back, write_image
from yolo_toolbox.registry import DATASETS

CLASSES = ('cat', 'dog', 'bird')


def make_ultralytics_set(root, seed=0):
    """root/images/{train,val}/*.jpg|png, root/labels/..., root/val.txt, root/data.yaml.

    train: 6 images of random sizes with random boxes (inside the image), one empty label
    file, one image without a label file; val listed in a .txt file.
    """
    rng = random.Random(seed)
    for split, count in (('train', 6), ('val', 3)):
        for i in range(count):
            width, height = rng.randint(40, 90), rng.randint(30, 70)
            suffix = '.png' if i % 3 == 2 else '.jpg'
            write_image(root / 'images' / split / f'{split}{i}{suffix}', width, height)
            if split == 'train' and i == 5:
                continue  # no label file: an image without objects
            label = root / 'labels' / split / f'{split}{i}.txt'
            label.parent.mkdir(parents=True, exist_ok=True)
            lines = []
            for _ in range(0 if (split == 'train' and i == 4) else rng.randint(1, 4)):
                w, h = rng.uniform(0.05, 0.6), rng.uniform(0.05, 0.6)
                cx, cy = rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2)
                lines.append(f'{rng.randrange(3)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}')
            label.write_text('\n'.join(lines) + ('\n' if lines else ''))
    (root / 'val.txt').write_text(''.join(f'./images/val/val{i}{".png" if i == 2 else ".jpg"}\n'
                                          for i in range(3)))
    (root / 'data.yaml').write_text(f'path: {root}\ntrain: images/train\nval: val.txt\n'
                                    'names: [cat, dog, bird]\n')
    return root / 'data.yaml'


def boxes_by_image(dataset):
    """{image file name: (width, height, [(label, box)])} of a dataset."""
    out = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        name = info['img_path'].replace('\\', '/').rsplit('/', 1)[-1]
        out[name] = (info['width'], info['height'],
                     [(inst['bbox_label'], inst['bbox']) for inst in info['instances']])
    return out


def assert_same_boxes(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for name, (w, h, objects) in ours.items():
        w2, h2, objects2 = theirs[name]
        assert (w, h) == (w2, h2), name
        assert [label for label, _ in objects] == [label for label, _ in objects2], name
        if objects:
            np.testing.assert_allclose([box for _, box in objects],
                                       [box for _, box in objects2], atol=1e-4)


def test_same_boxes_as_yolo2coco_and_coco_dataset(tmp_path):
    data_yaml = make_ultralytics_set(tmp_path)
    (tmp_path / 'classes.txt').write_text('\n'.join(CLASSES) + '\n')
    for split in ('train', 'val'):
        ours = DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml), split=split,
                                   test_mode=True))
        assert ours.metainfo['classes'] == CLASSES
        out = tmp_path / f'{split}.json'
        load_tool('yolo2coco').main([str(tmp_path / 'images' / split),
                                     str(tmp_path / 'labels' / split),
                                     '--classes', str(tmp_path / 'classes.txt'), '--out', str(out)])
        theirs = DATASETS.build(dict(type='CocoDataset', ann_file=str(out),
                                     data_prefix=dict(img_path=str(tmp_path / 'images' / split)),
                                     metainfo=dict(classes=CLASSES), test_mode=True))
        assert_same_boxes(boxes_by_image(ours), boxes_by_image(theirs))
    train = boxes_by_image(DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml))))
    assert train['train4.jpg'][2] == [] and train['train5.png'][2] == []  # empty / no label file
    assert len(read_back(out, tmp_path / 'images' / 'val', CLASSES)) == 3


def test_names_as_dict_relative_path_and_data_root_without_yaml(tmp_path):
    make_ultralytics_set(tmp_path / 'sets' / 'mine')
    yaml_dir = tmp_path / 'cfg'
    yaml_dir.mkdir()
    (yaml_dir / 'mine.yaml').write_text(
        'path: ../sets/mine\ntrain: [images/train]\nval: images/val\nnc: 3\n'
        'names:\n  0: cat\n  1: dog\n  2: bird\n')
    by_yaml = DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(yaml_dir / 'mine.yaml'),
                                  split='val', test_mode=True))
    assert by_yaml.metainfo['classes'] == CLASSES and len(by_yaml) == 3
    by_root = DATASETS.build(dict(type='YOLOTxtDataset', data_root=str(tmp_path / 'sets' / 'mine'),
                                  split='val', metainfo=dict(classes=CLASSES), test_mode=True))
    assert boxes_by_image(by_root) == boxes_by_image(by_yaml)
    renamed = DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(yaml_dir / 'mine.yaml'),
                                  split='val', metainfo=dict(classes=('a', 'b', 'c'))))
    assert renamed.metainfo['classes'] == ('a', 'b', 'c')

    (yaml_dir / 'bad.yaml').write_text('path: ../sets/mine\ntrain: images/train\nnc: 2\n'
                                       'names: [cat, dog, bird]\n')
    with pytest.raises(ValueError, match=r'bad\.yaml: nc is 2 but names lists 3'):
        DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(yaml_dir / 'bad.yaml')))
    with pytest.raises(ValueError, match=r"mine\.yaml: no 'test' split"):
        DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(yaml_dir / 'mine.yaml'),
                            split='test'))
    with pytest.raises(ValueError, match='not as many as the names'):
        DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(yaml_dir / 'mine.yaml'),
                            metainfo=dict(classes=('a', 'b'))))


@pytest.mark.parametrize('line, error, exc', [
    ('0 0.5 0.5 0.25', 'expected 5 fields "class cx cy w h", got 4', ValueError),
    ('0 0.5 0.5 0.25 0.5 0.5 0.5', 'got 7.*segment labels are not supported', ValueError),
    ('3 0.5 0.5 0.25 0.5', 'class id 3 is out of range.*3 classes', ValueError),
    ('cat 0.5 0.5 0.25 0.5', 'expected an integer class id', ValueError),
    ('0 nan 0.5 0.25 0.5', 'must be finite', ValueError),
])
def test_bad_label_lines_name_the_file_and_line(tmp_path, line, error, exc):
    data_yaml = make_ultralytics_set(tmp_path)
    label = tmp_path / 'labels' / 'val' / 'val0.txt'
    label.write_text('1 0.5 0.5 0.25 0.5\n' + line + '\n')
    with pytest.raises(exc, match=re.escape(f'{label}:2') + '.*' + error):
        DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml), split='val'))


def test_negative_sizes_follow_the_box_policy(tmp_path):
    """A negative width or height is an inverted box: dropped with the one warning of the
    box policy (the datasets' and converters' rule), or an error naming the file in
    strict mode."""
    data_yaml = make_ultralytics_set(tmp_path)
    label = tmp_path / 'labels' / 'val' / 'val0.txt'
    label.write_text('1 0.5 0.5 0.25 0.5\n0 0.5 0.5 0.25 -0.5\n')
    dataset = DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml), split='val'))
    assert [label for label, _ in boxes_by_image(dataset)['val0.jpg'][2]] == [1]
    with pytest.raises(ValueError, match=r'1 box dropped \(inverted.*' + re.escape(str(label))):
        DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml), split='val',
                            box_check='strict'))


def test_boxes_outside_are_clipped_zero_area_dropped(tmp_path):
    data_yaml = make_ultralytics_set(tmp_path)
    write_image(tmp_path / 'images' / 'val' / 'val0.jpg', 64, 48)
    (tmp_path / 'labels' / 'val' / 'val0.txt').write_text('0 0.875 0.5 0.5 0.5\n1 0.5 0.5 0 0.5\n')
    dataset = DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml), split='val'))
    assert boxes_by_image(dataset)['val0.jpg'][2] == [(0, [40.0, 12.0, 64.0, 36.0])]


def test_unusable_images_skip_or_strict_and_wrong_layout(tmp_path):
    data_yaml = make_ultralytics_set(tmp_path)
    broken = tmp_path / 'images' / 'train' / 'train0.jpg'
    broken.write_bytes(b'\xff\xd8\xff not a jpeg')
    skipped = DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml)))
    assert 'train0.jpg' not in boxes_by_image(skipped) and len(skipped) == 5
    with pytest.raises(ValueError, match=r'1 of 6 images cannot be used: .*train0\.jpg'):
        DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml),
                            image_check='strict'))
    (tmp_path / 'labels').rename(tmp_path / 'annotations')
    with pytest.raises(FileNotFoundError, match=r'none of the 3 images has a label file.*'
                                                r'labels/val/val0\.txt'):
        DATASETS.build(dict(type='YOLOTxtDataset', data_yaml=str(data_yaml), split='val'))
    with pytest.raises(ValueError, match='give data_yaml .* or data_root'):
        DATASETS.build(dict(type='YOLOTxtDataset'))


def test_relative_path_from_the_working_directory_as_yolov5(tmp_path, monkeypatch):
    make_ultralytics_set(tmp_path / 'datasets' / 'mine')
    (tmp_path / 'yolov5' / 'data').mkdir(parents=True)
    (tmp_path / 'yolov5' / 'data' / 'mine.yaml').write_text(
        'path: ../datasets/mine\ntrain: images/train\nval: images/val\nnames: [cat, dog, bird]\n')
    monkeypatch.chdir(tmp_path / 'yolov5')  # YOLOv5 runs from its repo: ../datasets/mine
    dataset = DATASETS.build(dict(type='YOLOTxtDataset', data_yaml='data/mine.yaml', split='val'))
    assert len(dataset) == 3
