"""Every geometric transform keeps each box on its object.

The test image holds filled rectangles of distinct colours on black, with exact boxes;
after a transform, the pixels of each box's colour must lie inside the box and fill it
(for axis-aligned transforms the colour's bounding rectangle equals the box within
~2 px). Rectangles stay rectangles' bounding boxes under rotation and perspective too,
so those are checked the same way, with a looser fill ratio.
"""
import cv2
import numpy as np
import pytest

from yolo_toolbox.registry import TRANSFORMS

# BGR colours, one per label; label 3 is marked ignored
COLOURS = np.array([(255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 255, 255)])
RECTS = np.array([(120, 90, 170, 130), (220, 80, 290, 120), (115, 170, 160, 225),
                  (230, 175, 275, 205)], dtype=np.float32)  # x1, y1, x2, y2 in a 400 x 300 image
BBOX_PARAMS = dict(format='pascal_voc', min_area=10, min_visibility=0.01)


def make_results(size_hw=(300, 400), shift=(0, 0)):
    img = np.zeros(size_hw + (3, ), np.uint8)
    boxes = RECTS + np.array(shift * 2, dtype=np.float32)
    for (x1, y1, x2, y2), colour in zip(boxes.astype(int), COLOURS):
        img[y1:y2, x1:x2] = colour
    return dict(img=img, img_shape=size_hw, ori_shape=size_hw, gt_bboxes=boxes,
                gt_bboxes_labels=np.arange(4, dtype=np.int64),
                gt_ignore_flags=np.array([False, False, False, True]))


def colour_mask(img, label):
    """Pixels whose strong channels are exactly those of COLOURS[label] (jitter-proof)."""
    img = img.astype(np.int32)
    high, low = img.max(axis=2), img.min(axis=2)
    bits = img > ((high + low) // 2)[..., None]
    return (high - low > 40) & np.all(bits == (COLOURS[label] > 0), axis=2)


def check_boxes(results, tol=2.0, min_fill=0.85, margin=6):
    img, boxes = results['img'], results['gt_bboxes']
    labels, flags = results['gt_bboxes_labels'], results['gt_ignore_flags']
    assert boxes.dtype == np.float32 and boxes.shape == (len(labels), 4)
    assert labels.dtype == np.int64 and flags.dtype == bool and len(flags) == len(labels)
    assert results['img_shape'] == img.shape[:2]
    h, w = img.shape[:2]
    for box, label, flag in zip(boxes, labels, flags):
        assert flag == (label % 4 == 3), 'ignore flag no longer with its box'
        x1, y1, x2, y2 = box
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h, box
        rx1, ry1 = int(max(0, np.floor(x1) - margin)), int(max(0, np.floor(y1) - margin))
        rx2, ry2 = int(min(w, np.ceil(x2) + margin)), int(min(h, np.ceil(y2) + margin))
        ys, xs = np.nonzero(colour_mask(img[ry1:ry2, rx1:rx2], label % 4))
        assert len(xs), f'no pixels of colour {label} near its box {box}'
        rect = np.array([xs.min() + rx1, ys.min() + ry1, xs.max() + 1 + rx1, ys.max() + 1 + ry1])
        assert np.abs(rect - box).max() <= tol, f'label {label}: box {box}, pixels {rect}'
        fill = len(xs) / max(1.0, (x2 - x1) * (y2 - y1))
        assert fill >= min_fill, f'label {label}: box {box} only {fill:.2f} filled'
    # no object lost its box: pixels of a colour outside all boxes of that colour are few
    for k in range(4):
        mask = colour_mask(img, k)
        for box in boxes[labels % 4 == k]:
            x1, y1 = (np.floor(box[:2]) - tol).astype(int).clip(0)
            x2, y2 = (np.ceil(box[2:]) + tol).astype(int)
            mask[y1:y2, x1:x2] = False
        assert mask.sum() < 30, f'{mask.sum()} pixels of colour {k} outside its boxes'


AXIS_ALIGNED = {
    'RandomScale': dict(type='RandomScale', scale_limit=(-0.5, 1.0), p=1.0),
    'PadIfNeeded': dict(type='PadIfNeeded', min_height=400, min_width=500,
                        border_mode=cv2.BORDER_CONSTANT, fill=0),
    'RandomCrop': dict(type='RandomCrop', height=150, width=200),
    'ColorJitter': dict(type='ColorJitter', brightness=0.5, contrast=0.5, saturation=0.5,
                        hue=0.0, p=1.0),
    'HorizontalFlip': dict(type='HorizontalFlip', p=1.0),
}
ROTATING = {
    'Rotate': dict(type='Rotate', limit=(-90, 90), p=1.0),
    'Perspective': dict(type='Perspective', scale=(0.05, 0.1), p=1.0),
}


@pytest.mark.parametrize('name', list(AXIS_ALIGNED) + list(ROTATING))
def test_albu_single_transform_keeps_boxes_on_objects(name):
    cfg = {**AXIS_ALIGNED, **ROTATING}[name]
    albu = TRANSFORMS.build(dict(type='Albu', transforms=[cfg], bbox_params=BBOX_PARAMS))
    for seed in range(6):
        np.random.seed(seed)
        results = albu(make_results())
        if name in ROTATING:  # box of the rotated rectangle's corners = its pixels' extent
            check_boxes(results, tol=3.0, min_fill=0.4)
        else:
            check_boxes(results)
        if name in ('RandomScale', 'ColorJitter', 'HorizontalFlip', 'PadIfNeeded'):
            assert len(results['gt_bboxes']) == 4
    if name == 'HorizontalFlip':
        np.testing.assert_allclose(results['gt_bboxes'][0], [230, 90, 280, 130])


def test_albu_original_recipe_keeps_boxes_on_objects():
    albu = TRANSFORMS.build(dict(type='Albu', transforms=[
        dict(type='RandomScale', scale_limit=(-0.5, 1.0)),
        dict(type='Perspective', scale=(0.05, 0.1), p=0.0),
        dict(type='Rotate', limit=(-90, 90), p=0.0),
        dict(type='PadIfNeeded', min_height=320, min_width=320,
             border_mode=cv2.BORDER_CONSTANT, fill=0),
        dict(type='RandomCrop', height=320, width=320),
        dict(type='ColorJitter', brightness=0.5, contrast=0.5, saturation=0.5, hue=0.0),
        dict(type='HorizontalFlip', p=0.5)], bbox_params=BBOX_PARAMS))
    for seed in range(8):
        np.random.seed(seed)
        results = albu(make_results())
        assert results['img'].shape == (320, 320, 3)
        check_boxes(results)


class FakeDataset:
    """Four images of different sizes, rectangles shifted, already 'loaded'."""

    SIZES = [((300, 400), (0, 0)), ((400, 300), (-60, 40)), ((260, 360), (-20, -30)),
             ((300, 500), (40, 0))]

    def __len__(self):
        return len(self.SIZES)

    def get_data_info(self, idx):
        size, shift = self.SIZES[idx]
        return make_results(size, shift)


def test_mosaic_places_four_images_around_the_centre():
    mosaic = TRANSFORMS.build(dict(type='Mosaic', img_scale=(320, 320), prob=1.0,
                                   pre_transform=[]))
    dataset = FakeDataset()
    for seed in range(4):
        np.random.seed(seed)
        results = dataset.get_data_info(0)
        results['dataset'] = dataset
        results = mosaic(results)
        assert 'dataset' not in results
        assert results['img'].shape == (640, 640, 3) and len(results['gt_bboxes']) == 16
        check_boxes(results)
        # this image (300 x 400 -> 240 x 320) sits in the top-left quadrant, touching the centre
        np.testing.assert_allclose(results['gt_bboxes'][0], RECTS[0] * 0.8 + [0, 80, 0, 80],
                                   atol=1e-3)
        assert results['img'][:80].max() == 0 and results['img'][80:320, :320].max() > 0
        # the 3 others: top-right, bottom-left, bottom-right
        others = results['gt_bboxes'][4:].reshape(3, 4, 4)
        assert (others[0, :, 0::2] >= 320).all() and (others[0, :, 1::2] <= 320).all()
        assert (others[1, :, 0::2] <= 320).all() and (others[1, :, 1::2] >= 320).all()
        assert (others[2] >= 320).all()


def test_mosaic_miss_letterboxes_and_needs_no_dataset():
    mosaic = TRANSFORMS.build(dict(type='Mosaic', img_scale=(320, 256), prob=0.0))
    results = mosaic(make_results((400, 300), (-60, 40)))
    assert results['img'].shape == (256, 320, 3)
    check_boxes(results)
    with pytest.raises(KeyError, match='dataset'):
        TRANSFORMS.build(dict(type='Mosaic', img_scale=(320, 320), prob=1.0))(make_results())


@pytest.mark.parametrize('scale', [(320, 320), (320, 200), (640, 480), (400, 300)])
def test_letterbox_keeps_boxes_on_objects(scale):
    letterbox = TRANSFORMS.build(dict(type='Letterbox', scale=scale))
    results = letterbox(make_results())
    assert results['img'].shape[:2] == (scale[1], scale[0])
    check_boxes(results)
