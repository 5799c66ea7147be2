"""Synthetic detection sets in VOC layout, for the demo, smoke training and the tests.

Research scaffolding beside the scripts that write them (``tools/misc/make_demo_dataset.py``,
``tools/misc/make_heldout_dataset.py``): the ``yolo_toolbox`` package never imports it.
Those scripts import it as ``synthetic_data`` (their own folder is first on ``sys.path``
when Python runs them); the tests reach it through ``tests/_tools.py``.

- :mod:`.demo`: the easy demo set (four filled shapes, one hue per class).
- :mod:`.heldout`: the held-out sets ``glyphs`` and ``outlines``, different in kind.
- :mod:`.voc_writer`, :mod:`.overlap`: what both share (the VOC writer, the overlap test
  used when placing objects).
"""
from .demo import DEMO_CLASSES, make_demo_dataset
from .heldout import GLYPH_CLASSES, HELDOUT_CLASSES, OUTLINE_CLASSES, make_heldout_dataset
from .overlap import max_iou_and_cover
from .voc_writer import write_voc_set

__all__ = ['DEMO_CLASSES', 'GLYPH_CLASSES', 'HELDOUT_CLASSES', 'OUTLINE_CLASSES',
           'make_demo_dataset', 'make_heldout_dataset', 'max_iou_and_cover', 'write_voc_set']
