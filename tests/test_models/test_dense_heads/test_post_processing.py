"""post_processing: the heads' NMS / rescale are its functions, the mixin gives a head the
interface TTA and export use, and the backend runners' PostProcessor (from a config, no
network) is the head's."""
import torch

from yolo_toolbox.models.dense_heads import PostProcessMixin, batched_nms, rescale_boxes
from yolo_toolbox.registry import MODELS


def random_boxes(batch=2, num=300, classes=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(batch, num, 2, generator=gen) * 100
    wh = torch.rand(batch, num, 2, generator=gen) * 40 + 1
    return torch.cat([xy, xy + wh], -1), torch.rand(batch, num, classes, generator=gen)


def test_same_as_yolo_head():
    head = MODELS.build(dict(type='YOLOHead', num_classes=3, in_channels=(8, 16, 32),
                             test_cfg=dict(max_per_img=20, nms_pre=200, score_thr=0.05)))
    boxes, scores = random_boxes()
    expected = head.nms(boxes, scores)
    torch.testing.assert_close(batched_nms(boxes, scores, 3, head.test_cfg), expected)
    meta = dict(pad_param=(4, 4, 2, 2), scale_factor=(0.5, 0.25), ori_shape=(200, 120))
    torch.testing.assert_close(rescale_boxes(expected[:, 1:5].clone(), meta),
                               head.rescale_boxes(expected[:, 1:5].clone(), meta))


def test_mixin_interface():
    class Head(PostProcessMixin):
        num_classes = 3
        test_cfg = dict(score_thr=0.5, nms_iou_thr=0.5, max_per_img=5, nms_pre=100)

    boxes, scores = random_boxes()
    results = Head().predict_from_boxes(boxes, scores, [dict(), dict(ori_shape=(50, 50))])
    assert len(results) == 2 and all(len(r.bboxes) <= 5 for r in results)
    assert (results[1].bboxes <= 50).all() and (results[0].scores > 0.5).all()
    assert Head().nms(boxes, scores, dict(max_per_img=1)).shape == (2, 7)


def test_class_offset_nms_is_class_wise():
    from torchvision.ops import batched_nms as tv_batched_nms

    from yolo_toolbox.models.dense_heads.post_processing import class_offset_nms
    boxes, scores = random_boxes(batch=1)
    boxes, scores = boxes[0], scores[0, :, 0]
    labels = torch.arange(len(boxes)) % 3
    keep, _ = class_offset_nms(boxes, scores, labels, 0.5)
    torch.testing.assert_close(keep, tv_batched_nms(boxes, scores, labels, 0.5))
    assert class_offset_nms(boxes[:0], scores[:0], labels[:0], 0.5)[0].numel() == 0


def test_post_processor_from_config_is_the_heads():
    """The backend runners' post-processing, built from a config without a network,
    is the head's: same test_cfg (class defaults under the config's), same detections."""
    from yolo_toolbox.models.dense_heads.post_processing import PostProcessor
    from yolo_toolbox.utils import register_all_modules
    register_all_modules()
    for head_cfg in (dict(type='YOLOHead', num_classes=3, in_channels=(8, 16, 32),
                          test_cfg=dict(max_per_img=20)),
                     dict(type='YOLOv8Head', num_classes=3, in_channels=(8, 16, 32))):
        head = MODELS.build(head_cfg)
        post = PostProcessor.from_head_config(head_cfg)
        assert post.test_cfg == head.test_cfg and post.num_classes == head.num_classes
        boxes, scores = random_boxes()
        torch.testing.assert_close(post.nms(boxes, scores), head.nms(boxes, scores))
        assert head.coder_from_config(head_cfg).config() == head.bbox_coder.config()


def test_merge_tta_passes_one_pass_is_the_plain_result():
    from yolo_toolbox.models.dense_heads.post_processing import merge_tta_passes
    cfg = dict(score_thr=0.05, nms_iou_thr=0.5, max_per_img=20, nms_pre=200)
    boxes, scores = random_boxes()
    metas = [dict(ori_shape=(150, 150)), dict()]
    plain = PostProcessMixin.predict_from_boxes(
        type('P', (PostProcessMixin, ), dict(num_classes=3, test_cfg=cfg))(), boxes, scores,
        metas)
    for merge in ('fuse', 'nms'):
        for a, b in zip(merge_tta_passes([boxes], [scores], metas, 3, cfg, merge), plain):
            torch.testing.assert_close(a.bboxes, b.bboxes)
            torch.testing.assert_close(a.scores, b.scores)


def test_backend_detector_session_and_deprecated_runner():
    import pytest

    from yolo_toolbox.apis.deploy import BackendDetector
    from yolo_toolbox.models.dense_heads.post_processing import PostProcessor

    class Session:
        input_shape = [1, 3, 64, 64]

    post = PostProcessor(3, dict(score_thr=0.1, nms_iou_thr=0.5, max_per_img=5, nms_pre=10))
    detector = BackendDetector(Session(), None, post, dict(classes=('a', 'b', 'c')))
    assert detector.bbox_head is post and detector.static_batch == 1
    with pytest.warns(DeprecationWarning, match='session'):
        assert detector.runner is detector.session
