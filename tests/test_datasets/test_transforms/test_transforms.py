"""Loading, Letterbox, Albu argument checks and PackDetInputs, each built from a config."""
import cv2
import numpy as np
import pytest
import torch

from yolo_toolbox.registry import TRANSFORMS
from yolo_toolbox.structures import DetDataSample


def build(type_name, **kwargs):
    return TRANSFORMS.build(dict(type=type_name, **kwargs))


def test_load_image_and_annotations(tmp_path):
    path = str(tmp_path / 'a.jpg')
    cv2.imwrite(path, np.full((30, 50, 3), (255, 0, 0), np.uint8))
    results = build('LoadImageFromFile')(dict(img_path=path, instances=[
        dict(bbox=[1, 2, 10, 20], bbox_label=3, ignore_flag=1),
        dict(bbox=[5, 5, 6, 6], bbox_label=0, ignore_flag=0)]))
    img = results['img']
    assert img.shape == (30, 50, 3) and img.dtype == np.uint8 and img[0, 0, 0] > 250  # BGR
    assert results['ori_shape'] == results['img_shape'] == (30, 50)
    results = build('LoadAnnotations')(results)
    assert results['gt_bboxes'].dtype == np.float32 and results['gt_bboxes'].shape == (2, 4)
    np.testing.assert_array_equal(results['gt_bboxes_labels'], np.array([3, 0], np.int64))
    assert results['gt_bboxes_labels'].dtype == np.int64
    np.testing.assert_array_equal(results['gt_ignore_flags'], [True, False])
    empty = build('LoadAnnotations')(dict(instances=[]))
    assert empty['gt_bboxes'].shape == (0, 4) and empty['gt_bboxes_labels'].shape == (0, )
    assert empty['gt_ignore_flags'].dtype == bool


def test_unreadable_images_raise_naming_the_file(tmp_path):
    corrupt = tmp_path / 'corrupt.jpg'
    corrupt.write_bytes(b'this is not a jpeg at all')
    with pytest.raises(OSError, match='corrupt.jpg'):
        build('LoadImageFromFile')(dict(img_path=str(corrupt)))
    (tmp_path / 'empty.jpg').write_bytes(b'')
    with pytest.raises(OSError, match='empty.jpg'):
        build('LoadImageFromFile')(dict(img_path=str(tmp_path / 'empty.jpg')))
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        build('LoadImageFromFile')(dict(img_path=str(tmp_path / 'missing.jpg')))


def test_letterbox_geometry_and_no_op():
    img = np.full((300, 400, 3), 7, np.uint8)
    boxes = np.array([[0, 0, 400, 300]], np.float32)
    results = build('Letterbox', scale=(320, 320), pad_val=114)(dict(img=img, gt_bboxes=boxes))
    assert results['img'].shape == (320, 320, 3) and results['img_shape'] == (320, 320)
    assert results['scale_factor'] == (0.8, 0.8)
    assert results['pad_param'].dtype == np.float32
    np.testing.assert_array_equal(results['pad_param'], [40, 40, 0, 0])
    np.testing.assert_allclose(results['gt_bboxes'], [[0, 40, 320, 280]])
    assert results['img'][0, 0, 0] == 114 and results['img'][100, 100, 0] == 7
    # already W x H: nothing changes
    same = build('Letterbox', scale=(400, 300))(dict(img=img.copy(), gt_bboxes=boxes.copy()))
    assert same['scale_factor'] == (1.0, 1.0) and not same['pad_param'].any()
    np.testing.assert_array_equal(same['img'], img)
    np.testing.assert_array_equal(same['gt_bboxes'], boxes)
    # no gt_bboxes (val/test before LoadAnnotations): fine
    assert 'gt_bboxes' not in build('Letterbox', scale=(64, 64))(dict(img=img))


def test_albu_rejects_deprecated_and_unknown_arguments():
    pad = dict(type='PadIfNeeded', min_height=64, min_width=64, border_mode=0, value=(0, 0, 0))
    with pytest.raises(ValueError, match="'value'.*renamed it to 'fill'"):
        build('Albu', transforms=[pad])
    with pytest.raises(ValueError, match="'mask_value'.*'fill_mask'"):
        build('Albu', transforms=[dict(type='Rotate', limit=10, mask_value=0)])
    with pytest.raises(ValueError, match='NotATransform'):
        build('Albu', transforms=[dict(type='NotATransform')])
    with pytest.raises(ValueError, match="'scal'"):
        build('Albu', transforms=[dict(type='OneOf', transforms=[
            dict(type='RandomScale', scal=0.1)])])
    with pytest.raises(ValueError, match="pascal_voc"):
        build('Albu', transforms=[], bbox_params=dict(format='coco'))
    with pytest.raises(ValueError, match='label_fields'):
        build('Albu', transforms=[], bbox_params=dict(format='pascal_voc',
                                                      label_fields=['class_labels']))


def test_albu_labels_int64_flags_bool_and_empty_boxes():
    albu = build('Albu', transforms=[dict(type='HorizontalFlip', p=1.0)],
                 bbox_params=dict(format='pascal_voc', min_area=10, min_visibility=0.01,
                                  label_fields=['gt_bboxes_labels', 'gt_ignore_flags']))
    img = np.zeros((40, 60, 3), np.uint8)
    results = albu(dict(img=img, gt_bboxes=np.array([[0, 0, 10, 10], [20, 5, 70, 30]], np.float32),
                        gt_bboxes_labels=np.array([7, 2], np.int64),
                        gt_ignore_flags=np.array([True, False])))
    assert results['gt_bboxes_labels'].dtype == np.int64
    np.testing.assert_array_equal(results['gt_bboxes_labels'], [7, 2])
    np.testing.assert_array_equal(results['gt_ignore_flags'], [True, False])
    np.testing.assert_allclose(results['gt_bboxes'], [[50, 0, 60, 10], [0, 5, 40, 30]])  # clipped
    empty = albu(dict(img=img, gt_bboxes=np.zeros((0, 4), np.float32),
                      gt_bboxes_labels=np.zeros(0, np.int64), gt_ignore_flags=np.zeros(0, bool)))
    assert empty['gt_bboxes'].shape == (0, 4) and empty['gt_bboxes_labels'].dtype == np.int64
    assert empty['gt_ignore_flags'].shape == (0, ) and empty['gt_ignore_flags'].dtype == bool


def test_albu_sees_rgb_and_returns_bgr():
    # ToGray weighs R by 0.299 and B by 0.114: a BGR-blue image must come out dark (~29)
    albu = build('Albu', transforms=[dict(type='ToGray', p=1.0)],
                 bbox_params=dict(format='pascal_voc'))
    out = albu(dict(img=np.full((8, 8, 3), (255, 0, 0), np.uint8),
                    gt_bboxes=np.zeros((0, 4), np.float32),
                    gt_bboxes_labels=np.zeros(0, np.int64)))['img']
    assert abs(int(out[0, 0, 0]) - 29) <= 2, out[0, 0]
    flip = build('Albu', transforms=[dict(type='HorizontalFlip', p=0.0)])
    img = np.random.RandomState(0).randint(0, 255, (8, 8, 3)).astype(np.uint8)
    np.testing.assert_array_equal(flip(dict(img=img.copy()))['img'], img)


def test_albu_random_draws_follow_numpy_seed():
    albu = build('Albu', transforms=[dict(type='RandomScale', scale_limit=(-0.5, 1.0), p=1.0)])
    sizes = []
    for seed in (0, 0, 1):
        np.random.seed(seed)
        sizes.append(albu(dict(img=np.zeros((100, 100, 3), np.uint8)))['img'].shape)
    assert sizes[0] == sizes[1] and sizes[0] != sizes[2]


def test_pack_det_inputs_types_shapes_and_ignored_split():
    img = np.random.RandomState(0).randint(0, 255, (32, 48, 3)).astype(np.uint8)
    results = dict(img=img, img_id='x', img_path='x.jpg', ori_shape=(64, 96), img_shape=(32, 48),
                   gt_bboxes=np.array([[0, 0, 4, 4], [1, 1, 5, 5], [2, 2, 8, 8]], np.float32),
                   gt_bboxes_labels=np.array([0, 1, 2], np.int64),
                   gt_ignore_flags=np.array([False, True, False]), instances=[], dataset=None)
    packed = build('PackDetInputs')(results)
    assert set(packed) == {'inputs', 'data_samples'}
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 32, 48) and inputs.is_contiguous()
    assert torch.equal(inputs[:, 3, 5], torch.from_numpy(img[3, 5]))  # BGR kept
    assert isinstance(sample, DetDataSample)
    gt, ignored = sample.gt_instances, sample.ignored_instances
    assert gt.bboxes.dtype == torch.float32 and gt.labels.dtype == torch.int64
    assert gt.labels.tolist() == [0, 2] and ignored.labels.tolist() == [1]
    assert ignored.bboxes.tolist() == [[1, 1, 5, 5]]
    meta = sample.metainfo
    assert meta['ori_shape'] == (64, 96) and meta['img_shape'] == (32, 48)
    assert meta['scale_factor'] == (1.0, 1.0) and meta['pad_param'].tolist() == [0, 0, 0, 0]
    assert meta['img_id'] == 'x' and 'dataset' not in meta

    bare = build('PackDetInputs')(dict(img=img))  # no annotations at all (inference)
    assert bare['data_samples'].gt_instances.bboxes.shape == (0, 4)
    assert bare['data_samples'].ignored_instances.labels.shape == (0, )
