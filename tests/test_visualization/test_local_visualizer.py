"""What the pictures show: one box per object, labels that never overlap or leave the
image, one colour per class."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from yolo_toolbox.datasets.base_det_dataset import make_palette
from yolo_toolbox.structures import DetDataSample
from yolo_toolbox.visualization import DetLocalVisualizer
from yolo_toolbox.visualization.local_visualizer import layout_labels, text_colour

_count = 0


def visualizer(**kwargs):
    global _count
    _count += 1  # mmengine keeps instances by name
    vis = DetLocalVisualizer(name=f'test_vis_{_count}', **kwargs)
    vis.dataset_meta = dict(classes=('a', 'b', 'c'), palette=make_palette(3))
    return vis


def intersects(r, s):
    return r[0] < s[2] and s[0] < r[2] and r[1] < s[3] and s[1] < r[3]


def test_labels_never_overlap_and_stay_inside():
    rng = np.random.default_rng(0)
    # 40 boxes crowded into a small image, some at the borders
    xy = rng.uniform(-10, 180, (40, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 60, (40, 2))], axis=1)
    sizes = [(int(w), 14) for w in rng.integers(30, 90, 40)]
    rects = layout_labels(boxes, sizes, (200, 240))
    placed = [r for r in rects if r is not None]
    assert len(placed) >= 10  # most of the first ones find a place
    for i, r in enumerate(placed):
        assert 0 <= r[0] and 0 <= r[1] and r[2] <= 240 and r[3] <= 200
        for s in placed[i + 1:]:
            assert not intersects(r, s)
    for r, (w, h) in zip(rects, sizes):
        if r is not None:
            assert (r[2] - r[0], r[3] - r[1]) == (w, h)


def test_label_goes_above_the_box_then_inside_at_the_top_border():
    rects = layout_labels(np.array([[50, 40, 120, 90], [60, 0, 130, 60]]),
                          [(40, 12), (40, 12)], (200, 200))
    assert rects[0] == (50, 28, 90, 40)  # above the top-left corner
    # no room above the second box (top border): inside its top-left corner
    assert rects[1] == (60, 0, 100, 12)
    # a label larger than the image has no place
    assert layout_labels(np.array([[0, 0, 10, 10]]), [(300, 12)], (100, 100)) == [None]


def test_display_nms_leaves_one_box_per_object_of_a_class():
    vis = visualizer()
    pred = InstanceData(
        bboxes=torch.tensor([[10., 10, 60, 60], [12, 11, 62, 58], [8, 12, 58, 63],
                             [11, 10, 61, 60], [100, 100, 150, 150]]),
        scores=torch.tensor([0.9, 0.6, 0.5, 0.8, 0.2]),
        labels=torch.tensor([0, 0, 0, 1, 2]))
    bboxes, labels, scores = vis.select_predictions(pred, score_thr=0.3)
    # the three class-0 boxes overlap with IoU > 0.8: the best remains; class 1 is another
    # class and stays; the class-2 box is under the score threshold
    assert labels.tolist() == [0, 1]
    np.testing.assert_allclose(scores, [0.9, 0.8])
    np.testing.assert_allclose(bboxes[0], [10, 10, 60, 60])
    assert len(visualizer(display_nms_iou=None).select_predictions(pred, 0.3)[0]) == 4


def test_drawn_picture_size_colours_and_labels():
    vis = visualizer()
    image = np.full((100, 200, 3), 128, np.uint8)
    sample = DetDataSample()
    sample.pred_instances = InstanceData(bboxes=torch.tensor([[20., 30, 80, 90]]),
                                         scores=torch.tensor([0.9]),
                                         labels=torch.tensor([1]))
    drawn = vis.add_datasample('x', image, sample, out_file=None)
    assert drawn.shape == (256, 512, 3)  # small images are enlarged (longer side 512)
    colour = np.array(make_palette(3)[1])
    # the box edge (scaled by 2.56) has the class's colour
    x1, y2 = int(round(20 * 2.56)), int(round(90 * 2.56))
    edge = drawn[y2 - 20:y2 - 10, x1 - 1:x1 + 2].reshape(-1, 3)
    assert (np.abs(edge.astype(int) - colour).sum(axis=1) < 30).any()
    # large images keep their size
    big = np.zeros((700, 900, 3), np.uint8)
    assert vis.add_datasample('y', big, sample, out_file=None).shape == (700, 900, 3)


@pytest.mark.parametrize('colour,expected', [((255, 255, 0), (0, 0, 0)),
                                             ((20, 20, 120), (255, 255, 255))])
def test_text_colour_reads_on_its_background(colour, expected):
    assert text_colour(colour) == expected
