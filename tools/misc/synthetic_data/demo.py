"""A small synthetic detection set in VOC layout, for demos, smoke training and tests.

Four classes of filled shapes, each with its own hue and outline::

    ellipse (red), rectangle (blue), triangle (green), star (yellow)

on noisy, smoothly varying, low-saturation backgrounds with a few grey distractor
lines. Images are 320-480 px wide and 240-400 px high with 1-6 objects of 16-200 px
and aspect ratios 0.6-1.7; about 15 % of objects are cut by the image border (their
box clipped), about 5 % are marked ``difficult``. Boxes are the exact extent of
each shape's pixels. Everything is a function of ``seed``.

Written by ``tools/misc/make_demo_dataset.py``; not part of the ``yolo_toolbox`` package.
"""
import math
from typing import List, Tuple

import cv2
import numpy as np

from .overlap import max_iou_and_cover
from .voc_writer import write_voc_set

DEMO_CLASSES = ('ellipse', 'rectangle', 'triangle', 'star')
# OpenCV hue (0-180) of each class: red, blue, green, yellow
_CLASS_HUES = (0, 110, 60, 28)


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Smooth low-saturation colour field + pixel noise + grey lines, uint8 BGR."""
    base_hsv = np.uint8([[[rng.integers(0, 180), rng.integers(0, 50), rng.integers(70, 190)]]])
    base = cv2.cvtColor(base_hsv, cv2.COLOR_HSV2BGR).astype(np.float32)
    grid = rng.normal(0, 25, size=(rng.integers(3, 7), rng.integers(3, 7), 1)).astype(np.float32)
    field = cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)[..., None]
    img = base + field + rng.normal(0, 8, size=(height, width, 3)).astype(np.float32)
    img = img.clip(0, 255).astype(np.uint8)
    for _ in range(rng.integers(0, 5)):
        grey = int(rng.integers(40, 220))
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p2 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(img, p1, p2, (grey, grey, grey), int(rng.integers(1, 4)), cv2.LINE_AA)
    return img


def _shape_mask(rng: np.random.Generator, cls: int, center: Tuple[float, float],
                size_wh: Tuple[float, float], height: int, width: int) -> np.ndarray:
    """uint8 (H, W) mask of one shape; parts outside the image are cut off."""
    mask = np.zeros((height, width), np.uint8)
    cx, cy = center
    w, h = size_wh
    name = DEMO_CLASSES[cls]
    if name == 'ellipse':
        cv2.ellipse(mask, (round(cx), round(cy)), (max(1, round(w / 2)), max(1, round(h / 2))),
                    0, 0, 360, 255, -1)
    elif name == 'rectangle':
        cv2.rectangle(mask, (round(cx - w / 2), round(cy - h / 2)),
                      (round(cx + w / 2), round(cy + h / 2)), 255, -1)
    else:
        if name == 'triangle':  # isosceles, apex up or down, tilted a little
            pts = [(0.0, -0.5), (0.5, 0.5), (-0.5, 0.5)]
            if rng.random() < 0.5:
                pts = [(x, -y) for x, y in pts]
            angle = rng.uniform(-0.3, 0.3)
        else:  # five-pointed star
            pts = [((0.5 if k % 2 == 0 else 0.22) * math.sin(k * math.pi / 5),
                    -(0.5 if k % 2 == 0 else 0.22) * math.cos(k * math.pi / 5))
                   for k in range(10)]
            angle = rng.uniform(-0.6, 0.6)
        cos_a, sin_a = math.cos(angle), math.sin(angle)
        poly = [(cx + w * x * cos_a - h * y * sin_a, cy + w * x * sin_a + h * y * cos_a)
                for x, y in pts]
        cv2.fillPoly(mask, [np.round(np.array(poly)).astype(np.int32)], 255)
    return mask


def _make_image(rng: np.random.Generator) -> Tuple[np.ndarray, List[dict]]:
    width, height = int(rng.integers(320, 481)), int(rng.integers(240, 401))
    img = _background(rng, height, width)
    objects, boxes = [], []
    for _ in range(int(rng.integers(1, 7))):
        for _attempt in range(30):
            cls = int(rng.integers(len(DEMO_CLASSES)))
            max_size = min(200.0, 0.75 * min(width, height))
            size = math.exp(rng.uniform(math.log(16), math.log(max_size)))
            aspect = math.exp(rng.uniform(math.log(0.6), math.log(1.7)))
            w, h = size * math.sqrt(aspect), size / math.sqrt(aspect)
            w, h = min(w, 200.0, 0.9 * width), min(h, 200.0, 0.9 * height)
            if rng.random() < 0.15:  # cut by a border: centre within 0.25 * size of it
                cx = rng.choice([rng.uniform(-0.25, 0.25) * w,
                                 width + rng.uniform(-0.25, 0.25) * w])
                cy = rng.uniform(h / 2, height - h / 2)
                if rng.random() < 0.5:
                    cx, cy = rng.uniform(w / 2, width - w / 2), rng.choice(
                        [rng.uniform(-0.25, 0.25) * h, height + rng.uniform(-0.25, 0.25) * h])
            else:
                cx, cy = rng.uniform(w / 2, width - w / 2), rng.uniform(h / 2, height - h / 2)
            nominal = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
            iou, cover = max_iou_and_cover(nominal, boxes)
            if iou > 0.15 or cover > 0.35:
                continue
            mask = _shape_mask(rng, cls, (cx, cy), (w, h), height, width)
            ys, xs = np.nonzero(mask)
            if len(xs) < 60:
                continue
            x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1  # 0-based, exclusive
            if min(x2 - x1, y2 - y1) < 8:
                continue
            hue = (_CLASS_HUES[cls] + int(rng.integers(-6, 7))) % 180
            hsv = np.uint8([[[hue, rng.integers(170, 256), rng.integers(150, 256)]]])
            colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)
            region = mask > 0
            noise = rng.normal(0, 6, size=(int(region.sum()), 3))
            img[region] = (colour + noise).clip(0, 255).astype(np.uint8)
            outline = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
            img[outline & region] = (colour * 0.55).astype(np.uint8)
            truncated = x1 == 0 or y1 == 0 or x2 == width or y2 == height
            boxes.append(nominal)
            objects.append(dict(name=DEMO_CLASSES[cls], box=(int(x1), int(y1), int(x2), int(y2)),
                                truncated=int(truncated), difficult=int(rng.random() < 0.05)))
            break
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    return img, objects


def make_demo_dataset(out_dir: str, num_train: int = 240, num_val: int = 60,
                      seed: int = 0, year: str = 'VOC2007') -> dict:
    """Write the synthetic set under ``out_dir`` in VOC layout.

    Creates ``out_dir/{year}/JPEGImages/*.jpg``, ``Annotations/*.xml`` and
    ``ImageSets/Main/trainval.txt`` (``num_train`` ids) and ``test.txt`` (``num_val``).

    Returns:
        ``dict(classes, data_root, years, train_split='trainval', test_split='test',
        num_train, num_val, num_objects, num_difficult)``; load it with ``VOCDataset(
        data_root=..., years=(year,), split=..., metainfo=dict(classes=DEMO_CLASSES))``.
    """
    num_objects, num_difficult = write_voc_set(
        out_dir, year, num_train, num_val,
        lambda i: _make_image(np.random.default_rng([seed, i])), jpeg_quality=92)
    return dict(classes=DEMO_CLASSES, data_root=out_dir, years=(year, ), train_split='trainval',
                test_split='test', num_train=num_train, num_val=num_val,
                num_objects=num_objects, num_difficult=num_difficult)

