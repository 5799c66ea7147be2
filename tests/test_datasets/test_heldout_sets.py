"""Held-out synthetic sets: VOC layout that VOCDataset reads, the kind's image shapes and
classes, boxes inside their images, determinism per seed."""
import filecmp
import os.path as osp

import pytest

from tests._tools import HELDOUT_CLASSES, make_heldout_dataset
from yolo_toolbox.datasets import VOCDataset


def _load(root, kind, split):
    return VOCDataset(data_root=str(root) + '/', years=('VOC2007', ), split=split,
                      metainfo=dict(classes=HELDOUT_CLASSES[kind]), test_mode=True,
                      pipeline=[])


@pytest.mark.parametrize('kind,wide', [('glyphs', True), ('outlines', False)])
def test_heldout_set_layout_shapes_and_boxes(tmp_path, kind, wide):
    info = make_heldout_dataset(str(tmp_path / 'a'), kind, num_train=4, num_val=2, seed=3)
    assert info['classes'] == HELDOUT_CLASSES[kind] and info['num_objects'] > 0
    train, test = _load(tmp_path / 'a', kind, 'trainval'), _load(tmp_path / 'a', kind, 'test')
    assert len(train) == 4 and len(test) == 2
    for i in range(len(train)):
        data = train.get_data_info(i)
        w, h = data['width'], data['height']
        assert (w > h) == wide  # glyphs: wide images, outlines: tall ones
        for inst in data['instances']:
            x1, y1, x2, y2 = inst['bbox']
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
            assert 0 <= inst['bbox_label'] < len(HELDOUT_CLASSES[kind])
    # same seed, same files; another seed, other images
    make_heldout_dataset(str(tmp_path / 'b'), kind, num_train=4, num_val=2, seed=3)
    make_heldout_dataset(str(tmp_path / 'c'), kind, num_train=4, num_val=2, seed=4)
    img = osp.join('VOC2007', 'JPEGImages', '000001.jpg')
    assert filecmp.cmp(tmp_path / 'a' / img, tmp_path / 'b' / img, shallow=False)
    assert not filecmp.cmp(tmp_path / 'a' / img, tmp_path / 'c' / img, shallow=False)


def test_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match='kind must be one of'):
        make_heldout_dataset(str(tmp_path), 'faces')
