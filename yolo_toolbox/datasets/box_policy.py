"""One policy for boxes that leave their image or have no area, for datasets and converters.

Every box is checked against its image (``width`` x ``height`` pixels):

=====================  ==================================================================
box                    what happens
=====================  ==================================================================
partly outside         clipped to the image (reaching out by up to ``tolerance`` = 1 px,
                       e.g. VOC's ``xmin=0``, is clipped without a word)
wholly outside         dropped
zero area              dropped (``x2 == x1`` or ``y2 == y1``)
inverted               dropped (``x2 < x1`` or ``y2 < y1``)
non-finite coordinate  an error at once (a broken file, not a box to fix)
=====================  ==================================================================

:class:`BoxChecker` collects what it did per file; at the end of loading (a dataset) or of
a conversion, :meth:`BoxChecker.report` logs **one** warning naming the files and counts,
or, in strict mode, raises a ``ValueError`` with the same list.
"""
import logging
import math
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence

from mmengine.logging import print_log

#: how far (pixels) a box may reach outside its image and be clipped without a word
OUTSIDE_TOLERANCE = 1.0
#: kind -> how the summary says it; the kinds that strict mode refuses
PROBLEMS = {
    'clipped': 'clipped to the image (partly outside)',
    'outside': 'dropped (wholly outside the image)',
    'zero_area': 'dropped (zero area)',
    'inverted': 'dropped (inverted: x2 < x1 or y2 < y1)',
}
#: not a data problem: the user's ``min_box_area`` (reported, never refused)
SMALL = 'small'


class BoxChecker:
    """Applies the module's policy to boxes and remembers what it did, per file.

    Args:
        tolerance: pixels a box may reach outside the image and be clipped silently.
        min_box_area: boxes whose area after clipping is ``<=`` this (pixels^2) are
            dropped and counted as ``small`` (reported, not a problem for strict mode).
    """

    def __init__(self, tolerance: float = OUTSIDE_TOLERANCE, min_box_area: float = 0.0) -> None:
        self.tolerance = float(tolerance)
        self.min_box_area = float(min_box_area)
        self.counts: Dict[str, Counter] = defaultdict(Counter)  # kind -> file -> count

    def fix(self, box_xyxy: Sequence[float], width: float, height: float, file: str,
            where: Optional[str] = None) -> Optional[List[float]]:
        """The box ``[x1, y1, x2, y2]`` (pixels) clipped to the image, or ``None`` when
        it is dropped; ``file`` is what the report names (the annotation file).

        Raises:
            ValueError: naming ``where`` (default ``file``), for a non-finite coordinate.
        """
        x1, y1, x2, y2 = (float(v) for v in box_xyxy)
        width, height = float(width), float(height)
        if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
            raise ValueError(f'{where or file}: box [x1, y1, x2, y2] = {[x1, y1, x2, y2]} px '
                             'has a non-finite coordinate')
        kind = None
        if x2 < x1 or y2 < y1:
            kind = 'inverted'
        elif x2 == x1 or y2 == y1:
            kind = 'zero_area'
        elif x2 <= 0 or y2 <= 0 or x1 >= width or y1 >= height:
            kind = 'outside'
        if kind:
            self.counts[kind][file] += 1
            return None
        tol = self.tolerance
        if x1 < -tol or y1 < -tol or x2 > width + tol or y2 > height + tol:
            self.counts['clipped'][file] += 1
        x1, x2 = min(max(x1, 0.0), width), min(max(x2, 0.0), width)
        y1, y2 = min(max(y1, 0.0), height), min(max(y2, 0.0), height)
        if (x2 - x1) * (y2 - y1) <= self.min_box_area:
            self.counts[SMALL][file] += 1
            return None
        return [x1, y1, x2, y2]

    def summary(self, kinds: Sequence[str] = tuple(PROBLEMS) + (SMALL, ), limit: int = 8) -> str:
        """``'3 boxes clipped to the image (partly outside): a.xml (2), b.xml (1); ...'``."""
        parts = []
        for kind in kinds:
            files = self.counts.get(kind)
            if not files:
                continue
            what = PROBLEMS.get(kind, f'dropped (area <= min_box_area={self.min_box_area:g} '
                                      'px^2)')
            shown = sorted(files.items(), key=lambda item: (-item[1], item[0]))
            listed = ', '.join(f'{f} ({n})' for f, n in shown[:limit])
            more = f' and {len(shown) - limit} more files' if len(shown) > limit else ''
            total = sum(files.values())
            parts.append(f'{total} box{"es" if total != 1 else ""} {what}: {listed}{more}')
        return '; '.join(parts)

    def report(self, who: str, strict: bool = False) -> None:
        """One warning with :meth:`summary` (nothing when every box was fine); with
        ``strict``, a ``ValueError`` with the same list when any box needed fixing."""
        problems = self.summary(tuple(PROBLEMS))
        if strict and problems:
            raise ValueError(f'{who}: {problems}. Fix these annotations, or turn strict '
                             'mode off to clip / drop them with a warning.')
        text = self.summary()
        if text:
            print_log(f'{who}: {text}', logger='current', level=logging.WARNING)
