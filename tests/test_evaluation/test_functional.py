"""Confusion matrix, plots, result conversion, and the COCOeval behaviour the metric relies on."""
from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest

from yolo_toolbox.evaluation.functional import (
    confusion_matrix,
    get_coco_api,
    plot_confusion_matrix,
    sample_to_result,
)

A, B, C, D, E = ([10, 10, 60, 90], [200, 100, 300, 200], [400, 300, 520, 400],
                 [300, 20, 380, 90], [500, 10, 600, 80])


def hand_results(make_sample) -> list:
    """Three images whose confusion matrix is worked out in the test below."""
    first = make_sample(
        1, gt_bboxes=[A, B, C], gt_labels=[0, 1, 2], ignored_bboxes=[D], ignored_labels=[0],
        pred_bboxes=[A, [12, 14, 60, 90], B, E, D, C],
        pred_scores=[.9, .85, .8, .7, .6, .1], pred_labels=[0, 0, 2, 1, 0, 2])
    # A: cat -> cat; the 2nd box on A: duplicate -> background row; B: dog called light;
    # E: nothing there -> background row; D: on a difficult box -> not counted;
    # C: found only below score_thr -> missed
    second = make_sample(2, pred_bboxes=[A], pred_scores=[.5], pred_labels=[2])
    third = make_sample(3, gt_bboxes=[B], gt_labels=[1])
    return [sample_to_result(s) for s in (first, second, third)]


def test_confusion_matrix_hand_case(make_sample):
    matrix = confusion_matrix(hand_results(make_sample), num_classes=3, iou_thr=0.5,
                              score_thr=0.3)
    expected = np.array([[1, 0, 0, 0],     # cat: found as cat
                         [0, 0, 1, 1],     # dog: once called light, once missed
                         [0, 0, 0, 1],     # light: missed
                         [1, 1, 1, 0]])    # background: detected as cat, dog, light
    np.testing.assert_array_equal(matrix, expected)
    # with no score threshold, C is found
    matrix = confusion_matrix(hand_results(make_sample), num_classes=3, score_thr=0.0)
    assert matrix[2, 2] == 1 and matrix[2, 3] == 0


def test_plots_written(random_samples, build_metric, evaluate, tmp_path):
    cm_png, pr_png = tmp_path / 'plots' / 'cm.png', tmp_path / 'plots' / 'pr.png'
    evaluate(build_metric(confusion_matrix_png=str(cm_png), pr_curve_png=str(pr_png)),
             random_samples)
    for path in (cm_png, pr_png):
        assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and path.stat().st_size > 10_000
    out = tmp_path / 'direct.png'
    empty = np.zeros((4, 4), dtype=np.int64)  # no GT, no detections: still a plot
    plot_confusion_matrix(empty, ['cat', 'dog', 'light'], str(out))
    assert out.exists()


def test_sample_to_result_from_data_sample_or_dict(make_sample):
    sample = make_sample('a', gt_bboxes=[A], gt_labels=[1], pred_bboxes=[A, B],
                         pred_scores=[.9, .2], pred_labels=[1, 0], ori_shape=(100, 200))
    from_sample, from_dict = sample_to_result(sample), sample_to_result(sample.to_dict())
    assert from_sample.keys() == from_dict.keys()
    for key, value in from_sample.items():
        np.testing.assert_array_equal(value, from_dict[key])
    assert from_sample['img_id'] == 'a' and from_sample['ori_shape'] == (100, 200)
    assert from_sample['pred_bboxes'].shape == (2, 4)
    assert from_sample['ignored_bboxes'].shape == (0, 4)
    assert all(isinstance(v, (np.ndarray, str, tuple)) for v in from_sample.values())
    del sample.ignored_instances  # optional field
    assert sample_to_result(sample)['ignored_labels'].shape == (0,)
    with pytest.raises(KeyError, match='img_id'):
        sample_to_result(dict(gt_instances={}))


def _coco_ap50(backend: str, difficult: dict, small_det: bool = False) -> float:
    """AP@0.5 of one image: GT A, a special box B (fields `difficult`) found first, A found."""
    coco_cls, coco_eval_cls = get_coco_api(backend)
    gt = dict(images=[dict(id=1, height=480, width=640)], categories=[dict(id=1, name='x')],
              annotations=[dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 50, 80],
                                area=4000.0, iscrowd=0),
                           dict(dict(id=2, image_id=1, category_id=1, bbox=[200, 100, 100, 100],
                                     area=10000.0, iscrowd=0), **difficult)])
    box_on_b = [210, 110, 10, 10] if small_det else [200, 100, 100, 100]
    dets = [dict(image_id=1, category_id=1, bbox=box_on_b, score=.9),
            dict(image_id=1, category_id=1, bbox=[10, 10, 50, 80], score=.5)]
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = coco_cls()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_eval = coco_eval_cls(coco_gt, coco_gt.loadRes(dets), 'bbox')
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return round(float(coco_eval.stats[1]), 6)


@pytest.mark.parametrize('backend', ('faster_coco_eval', 'pycocotools'))
def test_coco_libraries_ignore_semantics(backend):
    """Why ignored boxes get an out-of-range area: the libraries' behaviour, pinned."""
    two_gts_found = 1.0
    # an `ignore` key is overwritten with `iscrowd` by both: B stays an ordinary GT
    assert _coco_ap50(backend, dict(ignore=1)) == two_gts_found
    fp_then_half_recall = round(0.5 * 51 / 101, 6)  # precision 1/2 up to recall 1/2
    assert _coco_ap50(backend, dict(ignore=1), small_det=True) == fp_then_half_recall
    # an area outside every area range: ignored with plain-IoU matching (what CocoStyleMetric does)
    assert _coco_ap50(backend, dict(area=-1.0)) == 1.0
    assert _coco_ap50(backend, dict(area=-1.0), small_det=True) == 0.5  # small box: an FP
    # iscrowd=1 matches by intersection over the DETECTION's area: a 10x10 box inside B
    # (IoU 0.01) is swallowed as "on the crowd region" instead of counting as an FP
    assert _coco_ap50(backend, dict(iscrowd=1), small_det=True) == 1.0
