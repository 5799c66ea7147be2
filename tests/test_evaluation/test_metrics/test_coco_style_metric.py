"""CocoStyleMetric against pycocotools called directly, and on cases with known answers."""
from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

BACKENDS = ('faster_coco_eval', 'pycocotools')
SUMMARY = ('det/mAP_50_95', 'det/mAP_50', 'det/mAP_75', 'det/mAP_s', 'det/mAP_m', 'det/mAP_l')
BOX_A, BOX_B, BOX_C = [10, 10, 60, 90], [200, 100, 300, 200], [400, 300, 520, 400]


class IgnoreFlagCOCOeval(COCOeval):
    """pycocotools' COCOeval honouring a per-GT ``difficult`` flag as its ``ignore`` flag.

    pycocotools' ``_prepare`` overwrites ``gt['ignore']`` with ``iscrowd``; putting the flag
    back afterwards gives exactly COCO's non-crowd ignore semantics, by a route that does
    not share the metric's (which moves ignored boxes out of every area range).
    """

    def _prepare(self):
        super()._prepare()
        for gts in self._gts.values():
            for gt in gts:
                gt['ignore'] = gt['difficult']


def reference_eval(samples, max_dets=100) -> COCOeval:
    """pycocotools' COCOeval, summarized, on COCO dicts built here by hand."""
    images, annotations, results = [], [], []
    for image_id, sample in enumerate(samples, start=10):
        height, width = sample.ori_shape
        images.append(dict(id=image_id, height=height, width=width))
        for field, difficult in (('gt_instances', 0), ('ignored_instances', 1)):
            instances = getattr(sample, field)
            for (x1, y1, x2, y2), label in zip(instances.bboxes.tolist(),
                                               instances.labels.tolist()):
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=image_id, category_id=label + 7,
                    bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1), iscrowd=0,
                    difficult=difficult))
        pred = sample.pred_instances
        for (x1, y1, x2, y2), score, label in zip(pred.bboxes.tolist(), pred.scores.tolist(),
                                                  pred.labels.tolist()):
            results.append(dict(image_id=image_id, category_id=label + 7, score=score,
                                bbox=[x1, y1, x2 - x1, y2 - y1]))
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = dict(images=images, annotations=annotations,
                               categories=[dict(id=k + 7, name=str(k)) for k in range(3)])
        coco_gt.createIndex()
        coco_eval = IgnoreFlagCOCOeval(coco_gt, coco_gt.loadRes(results), 'bbox')
        coco_eval.params.maxDets = [1, 10, max_dets]
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return coco_eval


def reference_map(samples, max_dets=100) -> tuple[float, float]:
    """(AP@[.5:.95], AP@.5) at maxDets=max_dets from pycocotools."""
    coco_eval = reference_eval(samples, max_dets)
    if max_dets == 100:
        return coco_eval.stats[0], coco_eval.stats[1]
    # pycocotools' summarize() computes AP@[.5:.95] at maxDets=100 only (see below)
    precision = coco_eval.eval['precision'][:, :, :, 0, -1]  # (T, R, K) area all, max_dets
    return precision[precision > -1].mean(), coco_eval.stats[1]


def ap_101(precision_at_recall) -> float:
    """COCO's 101-point AP from a function giving interpolated precision at recall r."""
    return float(np.mean([precision_at_recall(r) for r in np.linspace(0, 1, 101)]))


@pytest.fixture
def map_50_and_50_95(build_metric, evaluate):
    """``f(backend, samples) -> (mAP_50, mAP_50_95)``."""
    def compute(backend, samples):
        metrics = evaluate(build_metric(backend=backend), samples)
        return metrics['det/mAP_50'], metrics['det/mAP_50_95']
    return compute


@pytest.mark.parametrize('backend', BACKENDS)
def test_random_data_matches_pycocotools(random_samples, build_metric, evaluate, backend):
    assert len(random_samples[0].gt_instances) == 0 and len(random_samples[1].pred_instances) == 0
    assert sum(len(s.ignored_instances) for s in random_samples) > 5
    expected_50_95, expected_50 = reference_map(random_samples)
    assert 0.2 < expected_50 < 0.95  # a non-trivial case
    metrics = evaluate(build_metric(backend=backend), random_samples)
    assert set(SUMMARY) <= set(metrics)
    assert metrics['det/mAP_50'] == pytest.approx(expected_50, abs=1e-9)
    assert metrics['det/mAP_50_95'] == pytest.approx(expected_50_95, abs=1e-9)
    assert all(isinstance(v, float) and not np.isnan(v) for v in metrics.values())


@pytest.mark.parametrize('backend', BACKENDS)
def test_max_dets_300_and_10(random_samples, build_metric, evaluate, backend):
    for max_dets in (10, 300):
        expected_50_95, expected_50 = reference_map(random_samples, max_dets)
        metrics = evaluate(build_metric(backend=backend, max_dets=max_dets), random_samples)
        assert metrics['det/mAP_50'] == pytest.approx(expected_50, abs=1e-9)
        assert metrics['det/mAP_50_95'] == pytest.approx(expected_50_95, abs=1e-9)


def test_pycocotools_summary_needs_max_dets_100(random_samples, build_metric, evaluate):
    """Why the metric reads AP from eval['precision']: stats[0] hard-codes maxDets=100."""
    assert reference_eval(random_samples, max_dets=300).stats[0] == -1
    metrics = evaluate(build_metric(backend='pycocotools', max_dets=300), random_samples)
    assert metrics['det/mAP_50_95'] > 0


@pytest.mark.parametrize('backend', BACKENDS)
def test_hand_cases(make_sample, map_50_and_50_95, backend):
    gts = dict(gt_bboxes=[BOX_A, BOX_B, BOX_C], gt_labels=[0, 1, 2])
    perfect = make_sample(1, **gts, pred_bboxes=[BOX_A, BOX_B, BOX_C], pred_scores=[.9, .8, .7],
                          pred_labels=[0, 1, 2])
    assert map_50_and_50_95(backend, [perfect]) == pytest.approx((1.0, 1.0), abs=1e-9)

    wrong_class = make_sample(1, **gts, pred_bboxes=[BOX_A, BOX_B, BOX_C],
                              pred_scores=[.9, .8, .7], pred_labels=[1, 2, 0])
    assert map_50_and_50_95(backend, [wrong_class]) == pytest.approx((0.0, 0.0), abs=1e-9)

    # one GT; an FP (elsewhere) scoring above the TP: precision 0 then 1/2 at recall 1
    fp_first = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[0], pred_bboxes=[BOX_B, BOX_A],
                           pred_scores=[.9, .8], pred_labels=[0, 0])
    assert map_50_and_50_95(backend, [fp_first]) == pytest.approx((0.5, 0.5), abs=1e-9)

    # two GTs, only one found, after an FP: precision 1/2 up to recall 1/2, then nothing
    expected = ap_101(lambda r: 0.5 if r <= 0.5 else 0.0)  # 51 of 101 points = 0.25248
    half_found = make_sample(1, gt_bboxes=[BOX_A, BOX_C], gt_labels=[0, 0],
                             pred_bboxes=[BOX_B, BOX_A], pred_scores=[.9, .8], pred_labels=[0, 0])
    assert map_50_and_50_95(backend, [half_found]) == pytest.approx((expected, expected), abs=1e-9)


@pytest.mark.parametrize('backend', BACKENDS)
def test_difficult_box_is_neither_tp_nor_fp(make_sample, map_50_and_50_95, backend):
    # GT A; difficult B detected first (score .9); difficult C never detected; A found last.
    dets = dict(pred_bboxes=[BOX_B, BOX_A], pred_scores=[.9, .5], pred_labels=[0, 0])
    with_difficult = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[0],
                                 ignored_bboxes=[BOX_B, BOX_C], **dets)
    assert map_50_and_50_95(backend, [with_difficult]) == pytest.approx((1.0, 1.0), abs=1e-9)
    # the same detections without the difficult boxes: the first one is a false positive
    without = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[0], **dets)
    assert map_50_and_50_95(backend, [without]) == pytest.approx((0.5, 0.5), abs=1e-9)
    # and as ordinary GT: 2 of 3 found with precision 1
    as_gt = make_sample(1, gt_bboxes=[BOX_A, BOX_B, BOX_C], gt_labels=[0, 0, 0], **dets)
    expected = ap_101(lambda r: 1.0 if r <= 2 / 3 else 0.0)
    assert map_50_and_50_95(backend, [as_gt]) == pytest.approx((expected, expected), abs=1e-9)
    # a difficult box of another class does not absorb a detection of this class
    other_class = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[0], ignored_bboxes=[BOX_B],
                              ignored_labels=[1], **dets)
    assert map_50_and_50_95(backend, [other_class]) == pytest.approx((0.5, 0.5), abs=1e-9)


@pytest.mark.parametrize('backend', BACKENDS)
def test_difficult_box_absorbs_one_detection(make_sample, map_50_and_50_95, backend):
    """COCO ignore semantics (not VOC's): a 2nd detection on a difficult box is an FP."""
    near_b = [202, 101, 301, 201]
    sample = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[0], ignored_bboxes=[BOX_B],
                         pred_bboxes=[BOX_B, near_b, BOX_A], pred_scores=[.9, .8, .5],
                         pred_labels=[0, 0, 0])
    assert map_50_and_50_95(backend, [sample]) == pytest.approx((0.5, 0.5), abs=1e-9)


@pytest.mark.parametrize('backend', BACKENDS)
def test_classwise_keys(random_samples, make_sample, build_metric, evaluate, backend):
    metrics = evaluate(build_metric(backend=backend, classwise=True), random_samples)
    names = ('cat', 'dog', 'traffic_light')  # 'traffic light' in the dataset's classes
    for name in names:
        assert 0 <= metrics[f'det/AP50_{name}'] <= 1
        assert 0 <= metrics[f'det/AP50_95_{name}'] <= metrics[f'det/AP50_{name}']
    per_class = [metrics[f'det/AP50_{name}'] for name in names]
    assert np.mean(per_class) == pytest.approx(metrics['det/mAP_50'], abs=1e-9)
    # a class without GT: -1, and left out of the mean
    sample = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[0], pred_bboxes=[BOX_A, BOX_B],
                         pred_scores=[.9, .8], pred_labels=[0, 1])
    metrics = evaluate(build_metric(backend=backend, classwise=True), [sample])
    assert metrics['det/AP50_dog'] == -1.0 and metrics['det/AP50_95_traffic_light'] == -1.0
    assert metrics['det/AP50_cat'] == pytest.approx(1.0) == metrics['det/mAP_50']


def test_int_and_str_image_ids_give_the_same_result(random_samples, build_metric, evaluate):
    by_str = evaluate(build_metric(), random_samples)
    for index, sample in enumerate(random_samples):
        sample.set_metainfo(dict(img_id=index * 3 + 1))
    by_int = evaluate(build_metric(), random_samples, as_dicts=False)  # DetDataSample form
    assert by_int == pytest.approx(by_str, abs=1e-12)


def test_no_ground_truth_anywhere(make_sample, build_metric, evaluate):
    samples = [make_sample(i, pred_bboxes=[BOX_A], pred_scores=[.5], pred_labels=[0])
               for i in range(3)]
    for backend in BACKENDS:
        metrics = evaluate(build_metric(backend=backend, classwise=True), samples)
        assert all(value == -1.0 for value in metrics.values())
    assert all(v == -1.0 for v in build_metric().compute_metrics([]).values())


def test_empty_detections_everywhere(make_sample, build_metric, evaluate):
    samples = [make_sample(i, gt_bboxes=[BOX_A], gt_labels=[1]) for i in range(3)]
    for backend in BACKENDS:
        metrics = evaluate(build_metric(backend=backend), samples)
        assert metrics['det/mAP_50'] == 0.0 and metrics['det/mAP_50_95'] == 0.0


def test_custom_iou_thrs_and_sizes(make_sample, build_metric, evaluate):
    # BOX_A is 50 x 80 = 4000 px (medium); a detection with IoU 0.6 with it
    sample = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[0], pred_bboxes=[[10, 10, 60, 58]],
                         pred_scores=[.9], pred_labels=[0])
    metrics = evaluate(build_metric(iou_thrs=[0.5, 0.55, 0.65]), [sample])
    assert metrics['det/mAP_50'] == 1.0 and metrics['det/mAP_75'] == -1.0
    assert metrics['det/mAP_50_95'] == pytest.approx(2 / 3)
    assert metrics['det/mAP_m'] == pytest.approx(2 / 3)
    assert metrics['det/mAP_s'] == metrics['det/mAP_l'] == -1.0


def test_outfiles_reproduce_the_metric(random_samples, build_metric, evaluate, tmp_path):
    metrics = evaluate(build_metric(outfile_prefix=str(tmp_path / 'out' / 'val')),
                       random_samples)
    gt = json.loads((tmp_path / 'out' / 'val.gt.json').read_text())
    dets = json.loads((tmp_path / 'out' / 'val.bbox.json').read_text())
    assert [img['file_name'] for img in gt['images']] == [f'img_{i:03d}' for i in range(20)]
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_eval = COCOeval(coco_gt, coco_gt.loadRes(dets), 'bbox')
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    assert coco_eval.stats[1] == pytest.approx(metrics['det/mAP_50'], abs=1e-9)


def test_class_names_missing_or_too_few(make_sample, build_metric, evaluate):
    sample = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[2], pred_bboxes=[BOX_A],
                         pred_scores=[.9], pred_labels=[2])
    metrics = evaluate(build_metric(classes=None, classwise=True), [sample])
    assert metrics['det/AP50_class_2'] == pytest.approx(1.0)
    assert metrics['det/AP50_class_0'] == -1.0
    with pytest.raises(ValueError, match='metainfo'):
        evaluate(build_metric(classes=('cat', 'dog')), [sample])


def test_repeated_image_keeps_first_and_bad_args(make_sample, build_metric, evaluate):
    sample = make_sample(1, gt_bboxes=[BOX_A], gt_labels=[0], pred_bboxes=[BOX_A],
                         pred_scores=[.9], pred_labels=[0])
    metrics = evaluate(build_metric(), [sample, make_sample(1, gt_bboxes=[BOX_B], gt_labels=[0])])
    assert metrics['det/mAP_50'] == pytest.approx(1.0)
    with pytest.raises(ValueError, match='backend'):
        build_metric(backend='cocoapi')
    with pytest.raises(ValueError, match='max_dets'):
        build_metric(max_dets=5)


def test_warns_when_gt_looks_like_network_input_pixels(make_sample, build_metric, evaluate,
                                                        monkeypatch):
    import yolo_toolbox.evaluation.metrics.coco_style_metric as module
    messages = []
    monkeypatch.setattr(module, 'print_log', lambda msg, **kwargs: messages.append(msg))
    sample = make_sample(1, gt_bboxes=[[10, 10, 600, 600]], gt_labels=[0], ori_shape=(300, 400))
    evaluate(build_metric(), [sample])
    assert any('ORIGINAL-image pixels' in message for message in messages)
