"""The image check of the detection datasets: skip or refuse unusable images, cache the
verdicts, and replace an image that breaks after the check."""
import glob
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

import yolo_toolbox.datasets.base_det_dataset as base_module
from tests._tools import DEMO_CLASSES, make_demo_dataset
from yolo_toolbox.datasets import VOCDataset
from yolo_toolbox.datasets.image_check import CACHE_NAME, ImageReadError, inspect_image, scan_images

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def _jpeg_bytes(height: int = 48, width: int = 64, seed: int = 0) -> bytes:
    img = (np.random.default_rng(seed).random((height, width, 3)) * 255).astype(np.uint8)
    return cv2.imencode('.jpg', img)[1].tobytes()


@pytest.fixture(scope='module')
def clean_set(tmp_path_factory) -> str:
    """6 train images of the demo set (VOC layout), made once."""
    root = str(tmp_path_factory.mktemp('image_check'))
    make_demo_dataset(root, num_train=6, num_val=0, seed=3)
    return root


@pytest.fixture
def broken_set(clean_set, tmp_path) -> dict:
    """A copy of the set where 000000 is a corrupt JPEG (a JPEG header, then garbage),
    000001 an empty file, 000002 a PNG named .jpg (loads), 000003 a JPEG smaller than its
    XML says, 000004 a JPEG cut in half; 000005 is untouched."""
    root = str(tmp_path / 'data')
    shutil.copytree(clean_set, root)
    img_dir = osp.join(root, 'VOC2007', 'JPEGImages')
    path = {i: osp.join(img_dir, f'00000{i}.jpg') for i in range(6)}
    good = open(path[0], 'rb').read()
    with open(path[0], 'wb') as f:
        f.write(good[:20] + bytes(range(256)) * 4)
    open(path[1], 'wb').close()
    png = cv2.imdecode(np.frombuffer(open(path[2], 'rb').read(), np.uint8), cv2.IMREAD_COLOR)
    with open(path[2], 'wb') as f:
        f.write(cv2.imencode('.png', png)[1].tobytes())
    with open(path[3], 'wb') as f:
        f.write(_jpeg_bytes(48, 64))
    data = open(path[4], 'rb').read()
    with open(path[4], 'wb') as f:
        f.write(data[:len(data) // 2])
    return dict(root=root, path=path, png_shape=png.shape[:2])


def _dataset(root: str, logged: list, monkeypatch, **kwargs) -> VOCDataset:
    monkeypatch.setattr(base_module, 'print_log', lambda msg, **kw: logged.append(msg))
    return VOCDataset(data_root=root, years='VOC2007', split='trainval',
                      metainfo=dict(classes=DEMO_CLASSES), pipeline=PIPELINE, **kwargs)


def test_inspect_image_verdicts(broken_set):
    path = broken_set['path']
    assert 'cannot be decoded' in inspect_image(path[0])
    assert inspect_image(path[1]) == 'empty file (0 bytes)'
    assert inspect_image(path[2]) == broken_set['png_shape']  # PNG content, .jpg name
    assert inspect_image(path[3]) == (48, 64)
    assert 'decoded' in inspect_image(path[4]) or 'truncated' in inspect_image(path[4])
    not_image = osp.join(osp.dirname(path[0]), 'notes.jpg')
    with open(not_image, 'w') as f:
        f.write('hello')
    assert inspect_image(not_image).startswith('not an image: unknown header')


def test_unusable_images_are_skipped_with_one_summary(broken_set, monkeypatch):
    logged = []
    dataset = _dataset(broken_set['root'], logged, monkeypatch)
    path = broken_set['path']
    kept = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    assert kept == [path[2], path[5]]
    (summary, ) = [m for m in logged if 'skipped' in m]
    assert summary.startswith('VOCDataset: 4 of 6 images skipped: ')
    for i in (0, 1, 3, 4):
        assert path[i] in summary
    assert f'{path[1]} (empty file (0 bytes))' in summary
    assert f'{path[3]} (image is 64x48 (width x height) but its annotation says' in summary
    # the PNG named .jpg loads through the training pipeline
    assert dataset[0]['img'].shape[:2] == broken_set['png_shape']


def test_strict_mode_refuses_the_dataset_and_names_the_files(broken_set, monkeypatch):
    with pytest.raises(ValueError, match='4 of 6 images cannot be used') as info:
        _dataset(broken_set['root'], [], monkeypatch, image_check='strict')
    for i in (0, 1, 3, 4):
        assert broken_set['path'][i] in str(info.value)
    assert broken_set['path'][2] not in str(info.value)


def test_a_dataset_without_any_usable_image_is_an_error(clean_set, tmp_path, monkeypatch):
    root = str(tmp_path / 'data')
    shutil.copytree(clean_set, root)
    for path in glob.glob(osp.join(root, 'VOC2007', 'JPEGImages', '*.jpg')):
        open(path, 'wb').close()
    with pytest.raises(ValueError, match='6 of 6 images cannot be used: .*empty file'):
        _dataset(root, [], monkeypatch)


def test_check_off_keeps_every_image(broken_set, monkeypatch):
    dataset = _dataset(broken_set['root'], [], monkeypatch, image_check='off')
    assert len(dataset) == 6
    assert not osp.exists(osp.join(broken_set['root'], 'VOC2007', 'JPEGImages', CACHE_NAME))


def test_verdicts_are_cached_and_rechecked_when_a_file_changes(broken_set, monkeypatch):
    path = broken_set['path']
    cache_file = osp.join(osp.dirname(path[0]), CACHE_NAME)
    logged = []
    _dataset(broken_set['root'], logged, monkeypatch)
    assert osp.isfile(cache_file) and '6 checked, 0 from the cache' in logged[-1]
    _dataset(broken_set['root'], logged, monkeypatch)
    assert '0 checked, 6 from the cache' in logged[-1]
    # a good image breaks and a broken one is repaired: only those two are read again
    with open(path[5], 'wb') as f:
        f.write(b'')
    with open(osp.join(broken_set['root'], 'VOC2007', 'Annotations', '000001.xml')) as f:
        xml = f.read()
    xml_h = int(xml.split('<height>')[1].split('<')[0])
    xml_w = int(xml.split('<width>')[1].split('<')[0])
    with open(path[1], 'wb') as f:  # the XML's size, so image 1 becomes usable
        f.write(_jpeg_bytes(xml_h, xml_w))
    dataset = _dataset(broken_set['root'], logged, monkeypatch)
    assert '2 checked, 4 from the cache' in logged[-1]
    kept = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    assert kept == [path[1], path[2]]


def test_scan_images_without_cache_reports_missing_files(tmp_path):
    good = tmp_path / 'a.jpg'
    good.write_bytes(_jpeg_bytes(10, 20))
    verdicts, stats = scan_images([str(good), str(tmp_path / 'gone.jpg')], None,
                                  num_workers=2, progress=False)
    assert verdicts[str(good)] == (10, 20)
    assert verdicts[str(tmp_path / 'gone.jpg')].startswith('cannot be read (FileNotFoundError')
    assert stats['checked'] == 1 and stats['total'] == 2  # the missing one is never decoded
    assert not list(tmp_path.glob(CACHE_NAME))


def test_image_broken_after_the_check_is_replaced_in_training(clean_set, tmp_path,
                                                              monkeypatch):
    root = str(tmp_path / 'data')
    shutil.copytree(clean_set, root)
    logged = []
    dataset = _dataset(root, logged, monkeypatch, max_image_retries=3)
    broken = dataset.get_data_info(2)['img_path']
    with open(broken, 'wb') as f:
        f.write(b'overwritten by a failing copy')
    np.random.seed(0)
    out = dataset[2]
    assert out['img_path'] != broken and out['img'].size > 0
    (warning, ) = [m for m in logged if 'instead' in m]
    assert broken in warning and 'replacement 1 of at most 3' in warning
    # every image broken: gives up after max_image_retries replacements, naming the file
    for i in range(len(dataset)):
        with open(dataset.get_data_info(i)['img_path'], 'wb') as f:
            f.write(b'')
    logged.clear()
    with pytest.raises(ImageReadError, match='giving up'):
        dataset[0]
    assert sum('instead' in m for m in logged) == 3


def test_image_broken_after_the_check_is_an_error_at_test_time(clean_set, tmp_path,
                                                               monkeypatch):
    root = str(tmp_path / 'data')
    shutil.copytree(clean_set, root)
    dataset = _dataset(root, [], monkeypatch, test_mode=True)
    broken = dataset.get_data_info(1)['img_path']
    os.remove(broken)
    with pytest.raises(FileNotFoundError, match=broken):
        dataset[1]
