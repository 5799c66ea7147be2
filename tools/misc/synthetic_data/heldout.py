"""Held-out synthetic detection sets, different in kind from the demo set.

The demo set (:mod:`synthetic_data.demo`) is easy: four filled shapes, one hue
per class, on smooth backgrounds. A model tuned there says little about learning, so
detection quality is judged on sets that differ from it in every axis that matters:

``glyphs``
    five character classes ``A H S 4 X`` drawn with OpenCV's Hershey fonts (several
    faces, italics, stroke widths, rotation by resampling), **colour unrelated to the
    class**, on cluttered backgrounds (random rectangles, texture, noise) with
    unlabelled distractor characters; **wide images** (448-640 x 192-320), **dense**
    (4-12 objects), **many small objects** (16-128 px character height); objects whose
    box is under 16 px on its longer side are ``difficult``.
``outlines``
    five hollow/patterned classes ``ring cross arrow checker crescent`` with random
    colour, rotation and line width, on blurred blob backgrounds, **tall images**
    (224-320 x 384-544), **few large objects** (1-4, 32-260 px) that may occlude each
    other (IoU up to 0.3), lower JPEG quality.

Boxes are the exact extent of each object's pixels (0-based, exclusive), written as VOC
1-based inclusive. Everything is a function of ``kind`` and ``seed``.

Written by ``tools/misc/make_heldout_dataset.py``; not part of the ``yolo_toolbox`` package.
"""
import math
from typing import Callable, Dict, List, Tuple

import cv2
import numpy as np

from .overlap import max_iou_and_cover
from .voc_writer import write_voc_set

GLYPH_CLASSES = ('A', 'H', 'S', '4', 'X')
OUTLINE_CLASSES = ('ring', 'cross', 'arrow', 'checker', 'crescent')
HELDOUT_CLASSES: Dict[str, Tuple[str, ...]] = dict(glyphs=GLYPH_CLASSES,
                                                   outlines=OUTLINE_CLASSES)
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
          cv2.FONT_HERSHEY_TRIPLEX)
_DISTRACTOR_CHARS = 'ocvz=+~:'


def _random_colour(rng: np.random.Generator) -> Tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(0, 256, size=3))


def _contrast_colour(rng: np.random.Generator, img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A random colour at least 80 (L1 over BGR) away from the mean under ``mask``."""
    below = img[mask > 0].reshape(-1, 3).mean(axis=0) if mask.any() else np.zeros(3)
    for _ in range(20):
        colour = np.array(_random_colour(rng), np.float32)
        if np.abs(colour - below).sum() > 80:
            return colour
    return 255 - below


def _cluttered_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    img = np.empty((height, width, 3), np.uint8)
    img[:] = _random_colour(rng)
    for _ in range(int(rng.integers(4, 14))):
        x1, y1 = int(rng.integers(-40, width)), int(rng.integers(-40, height))
        w, h = int(rng.integers(20, width // 2)), int(rng.integers(10, height // 2))
        cv2.rectangle(img, (x1, y1), (x1 + w, y1 + h), _random_colour(rng), -1)
    texture = rng.normal(0, 18, size=(height // 4 + 1, width // 4 + 1, 1)).astype(np.float32)
    texture = cv2.resize(texture, (width, height), interpolation=cv2.INTER_NEAREST)[..., None]
    return (img.astype(np.float32) + texture).clip(0, 255).astype(np.uint8)


def _blob_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    img = np.empty((height, width, 3), np.float32)
    img[:] = _random_colour(rng)
    for _ in range(int(rng.integers(5, 12))):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(20, 160)), int(rng.integers(20, 160)))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                    _random_colour(rng), -1)
    img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(6, 14)))
    img += rng.normal(0, 10, size=img.shape).astype(np.float32)
    return img.clip(0, 255).astype(np.uint8)


def _rotate_mask(mask: np.ndarray, centre: Tuple[float, float], angle: float) -> np.ndarray:
    rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
    return cv2.warpAffine(mask, rot, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_NEAREST)


def _glyph_mask(rng: np.random.Generator, char: str, size: float, cx: float, cy: float,
                height: int, width: int) -> np.ndarray:
    """Mask of one character whose height is about ``size`` px, centred at (cx, cy)."""
    font = _FONTS[int(rng.integers(len(_FONTS)))]
    if rng.random() < 0.3:
        font |= cv2.FONT_ITALIC
    (text_w, text_h), _ = cv2.getTextSize(char, font, 1.0, 1)
    scale = size / max(text_h, 1)
    thickness = max(1, int(round(scale * rng.uniform(1.0, 3.0))))
    (text_w, text_h), _ = cv2.getTextSize(char, font, scale, thickness)
    mask = np.zeros((height, width), np.uint8)
    origin = (int(round(cx - text_w / 2)), int(round(cy + text_h / 2)))
    cv2.putText(mask, char, origin, font, scale, 255, thickness, cv2.LINE_AA)
    mask = (mask > 127).astype(np.uint8) * 255
    return _rotate_mask(mask, (cx, cy), float(rng.uniform(-20, 20)))


def _outline_mask(rng: np.random.Generator, name: str, size: float, cx: float, cy: float,
                  height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    r = size / 2
    line = max(2, int(round(size * rng.uniform(0.06, 0.16))))
    c = (int(round(cx)), int(round(cy)))
    if name == 'ring':
        axes = (max(2, int(r)), max(2, int(r * rng.uniform(0.6, 1.0))))
        cv2.ellipse(mask, c, axes, 0, 0, 360, 255, line)
    elif name == 'cross':
        arm = max(2, int(r * rng.uniform(0.18, 0.35)))
        cv2.rectangle(mask, (c[0] - int(r), c[1] - arm), (c[0] + int(r), c[1] + arm), 255, -1)
        cv2.rectangle(mask, (c[0] - arm, c[1] - int(r)), (c[0] + arm, c[1] + int(r)), 255, -1)
    elif name == 'arrow':
        tail, tip = (c[0] - int(r), c[1]), (c[0] + int(r), c[1])
        cv2.arrowedLine(mask, tail, tip, 255, line, cv2.LINE_8, tipLength=0.4)
    elif name == 'checker':
        cells = int(rng.integers(3, 6))
        cell = max(2, int(size / cells))
        x0, y0 = c[0] - cells * cell // 2, c[1] - cells * cell // 2
        for i in range(cells):
            for j in range(cells):
                if (i + j) % 2 == 0:
                    cv2.rectangle(mask, (x0 + i * cell, y0 + j * cell),
                                  (x0 + (i + 1) * cell - 1, y0 + (j + 1) * cell - 1), 255, -1)
        cv2.rectangle(mask, (x0, y0), (x0 + cells * cell - 1, y0 + cells * cell - 1), 255, 1)
    else:  # crescent: a disc minus a shifted disc
        cv2.circle(mask, c, max(2, int(r)), 255, -1)
        shift = int(r * rng.uniform(0.35, 0.6))
        cv2.circle(mask, (c[0] + shift, c[1] - shift // 3), max(2, int(r * 0.85)), 0, -1)
    return _rotate_mask(mask, (cx, cy), float(rng.uniform(0, 360)))


def _place_objects(rng: np.random.Generator, img: np.ndarray, classes: Tuple[str, ...],
                   count: int, size_range: Tuple[float, float], max_iou: float,
                   max_cover: float, mask_fn: Callable, difficult_below: float) -> List[dict]:
    height, width = img.shape[:2]
    objects, boxes = [], []
    for _ in range(count):
        for _attempt in range(30):
            cls = int(rng.integers(len(classes)))
            size = math.exp(rng.uniform(math.log(size_range[0]),
                                        math.log(min(size_range[1], 0.8 * min(height, width)))))
            cx, cy = rng.uniform(0.05 * width, 0.95 * width), rng.uniform(0.05 * height,
                                                                           0.95 * height)
            mask = mask_fn(rng, classes[cls], size, cx, cy, height, width)
            ys, xs = np.nonzero(mask)
            if len(xs) < 12:
                continue
            box = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)
            if min(box[2] - box[0], box[3] - box[1]) < 4:
                continue
            iou, cover = max_iou_and_cover(box, boxes)
            if iou > max_iou or cover > max_cover:
                continue
            img[mask > 0] = _contrast_colour(rng, img, mask).astype(np.uint8)
            x1, y1, x2, y2 = (int(v) for v in box)
            truncated = x1 == 0 or y1 == 0 or x2 == width or y2 == height
            boxes.append(box)
            objects.append(dict(name=classes[cls], box=(x1, y1, x2, y2),
                                truncated=int(truncated),
                                difficult=int(max(x2 - x1, y2 - y1) < difficult_below)))
            break
    return objects


def _make_glyphs_image(rng: np.random.Generator) -> Tuple[np.ndarray, List[dict]]:
    width, height = int(rng.integers(448, 641)), int(rng.integers(192, 321))
    img = _cluttered_background(rng, height, width)
    for _ in range(int(rng.integers(0, 4))):  # unlabelled distractor characters
        char = _DISTRACTOR_CHARS[int(rng.integers(len(_DISTRACTOR_CHARS)))]
        mask = _glyph_mask(rng, char, float(rng.uniform(10, 60)), rng.uniform(0, width),
                           rng.uniform(0, height), height, width)
        img[mask > 0] = _random_colour(rng)
    objects = _place_objects(rng, img, GLYPH_CLASSES, int(rng.integers(4, 13)), (16, 128),
                             max_iou=0.1, max_cover=0.3, mask_fn=_glyph_mask,
                             difficult_below=16)
    img = cv2.GaussianBlur(img, (3, 3), 0.5)
    return img, objects


def _make_outlines_image(rng: np.random.Generator) -> Tuple[np.ndarray, List[dict]]:
    width, height = int(rng.integers(224, 321)), int(rng.integers(384, 545))
    img = _blob_background(rng, height, width)
    objects = _place_objects(rng, img, OUTLINE_CLASSES, int(rng.integers(1, 5)), (32, 260),
                             max_iou=0.3, max_cover=0.6, mask_fn=_outline_mask,
                             difficult_below=0)
    return img, objects


_MAKERS = dict(glyphs=(_make_glyphs_image, 90), outlines=(_make_outlines_image, 70))


def make_heldout_dataset(out_dir: str, kind: str, num_train: int = 600, num_val: int = 200,
                         seed: int = 0, year: str = 'VOC2007') -> dict:
    """Write the held-out set ``kind`` ('glyphs' or 'outlines') under ``out_dir``.

    Same layout and return value as :func:`synthetic_data.demo.make_demo_dataset`
    (``classes`` are :data:`HELDOUT_CLASSES[kind]`).
    """
    if kind not in _MAKERS:
        raise ValueError(f"kind must be one of {sorted(_MAKERS)}, got '{kind}'")
    make_image, jpeg_quality = _MAKERS[kind]
    kind_key = sum(map(ord, kind))  # a different stream per kind for the same seed
    num_objects, num_difficult = write_voc_set(
        out_dir, year, num_train, num_val,
        lambda i: make_image(np.random.default_rng([seed, kind_key, i])), jpeg_quality)
    return dict(classes=HELDOUT_CLASSES[kind], data_root=out_dir, years=(year, ),
                train_split='trainval', test_split='test', num_train=num_train,
                num_val=num_val, num_objects=num_objects, num_difficult=num_difficult)
