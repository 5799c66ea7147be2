"""Overlap of a candidate box with the boxes already placed in a synthetic image."""
from typing import List, Tuple

import numpy as np


def max_iou_and_cover(box: np.ndarray, others: List[np.ndarray]) -> Tuple[float, float]:
    """Max IoU of ``box`` with ``others`` and max fraction of either box covered.

    Boxes are x1, y1, x2, y2; an empty ``others`` gives (0.0, 0.0). The generators
    place an object only where both stay under their limits.
    """
    worst_iou, worst_cover = 0.0, 0.0
    area = (box[2] - box[0]) * (box[3] - box[1])
    for other in others:
        iw = min(box[2], other[2]) - max(box[0], other[0])
        ih = min(box[3], other[3]) - max(box[1], other[1])
        if iw <= 0 or ih <= 0:
            continue
        inter = iw * ih
        other_area = (other[2] - other[0]) * (other[3] - other[1])
        worst_iou = max(worst_iou, inter / (area + other_area - inter))
        worst_cover = max(worst_cover, inter / area, inter / other_area)
    return worst_iou, worst_cover
