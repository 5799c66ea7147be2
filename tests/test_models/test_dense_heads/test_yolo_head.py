"""YOLOHead: loss on empty / one-box batches, loss decreasing on a fixed batch, predict."""
import pytest
import torch

from yolo_toolbox.registry import MODELS

IN_CHANNELS = (8, 16, 32)


def build_head(**kwargs):
    cfg = dict(type='YOLOHead', num_classes=3, in_channels=IN_CHANNELS,
               assigner=dict(type='NearbyGridAssigner', match_iou_thres=0.0625),
               loss_obj=dict(type='FocalLoss', gamma=1.5),
               loss_cls=dict(type='FocalLoss', gamma=1.5),
               loss_bbox=dict(type='IoULoss', mode='ciou'), lambda_coord=0.1)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def feats(batch=2, size=128, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, size // s, size // s, generator=gen)
            for c, s in zip(IN_CHANNELS, (8, 16, 32))]


GT = torch.tensor([[0, 1, 10.0, 10.0, 60.0, 80.0],
                   [1, 2, 30.0, 40.0, 120.0, 100.0],
                   [1, 0, 70.0, 5.0, 90.0, 20.0]])


def total(losses):
    return losses['loss_obj'] + losses['loss_bbox'] + losses['loss_cls']


def test_forward_shapes():
    outs = build_head()(feats())
    assert [tuple(o.shape) for o in outs] == [(2, 3, 16, 16, 8), (2, 3, 8, 8, 8),
                                             (2, 3, 4, 4, 8)]


def test_empty_gt_gives_only_objectness_loss():
    losses = build_head().loss_by_feat(build_head()(feats()), torch.zeros(0, 6))
    assert losses['loss_obj'] > 0
    assert losses['loss_bbox'] == 0 and losses['loss_cls'] == 0
    assert losses['num_pos'] == 0
    assert all(torch.isfinite(v).all() for v in losses.values())


def test_one_box_gives_box_and_class_loss():
    head = build_head()
    losses = head.loss_by_feat(head(feats()), GT[:1])
    assert losses['loss_bbox'] > 0 and losses['loss_cls'] > 0 and losses['num_pos'] > 0
    total(losses).backward()


def test_unmatched_gt_is_not_nan():
    head = build_head(assigner=dict(type='SingleGridAssigner', match_iou_thres=0.99))
    losses = head.loss_by_feat(head(feats()), torch.tensor([[0, 0, 10.0, 10.0, 11.0, 11.0]]))
    assert losses['num_pos'] == 0
    assert all(torch.isfinite(v).all() for v in losses.values())


@pytest.mark.parametrize('assigner', ['SingleGridAssigner', 'NearbyGridAssigner',
                                      'AllGridAssigner'])
def test_loss_decreases_on_a_fixed_batch(assigner):
    torch.manual_seed(0)
    head = build_head(assigner=dict(type=assigner, match_iou_thres=0.0625))
    inputs = feats()
    optimizer = torch.optim.Adam(head.parameters(), lr=0.01)
    first = None
    for _ in range(80):
        losses = head.loss_by_feat(head(inputs), GT)
        loss = losses['loss_bbox'] + losses['loss_cls']
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        total(losses).backward()
        optimizer.step()
    assert loss.item() < 0.6 * first


def test_assign_conf_method_sets_the_objectness_target():
    head = build_head(assign_conf_method='constant', loss_obj=dict(type='FocalLoss'))
    preds = head(feats())
    # objectness logits +inf where assigned, -inf elsewhere -> zero loss for 'constant'
    result = head.assign(preds, GT)
    for pred, res in zip(preds, result):
        pred[..., 0] = -30.0
        pred[res.batch_idx, res.anchor_idx, res.grid_y, res.grid_x, 0] = 30.0
    assert head.loss_by_feat(preds, GT)['loss_obj'].item() < 1e-6
    iou_head = build_head(loss_obj=dict(type='FocalLoss'))
    assert iou_head.loss_by_feat(preds, GT)['loss_obj'].item() > 1e-3


def test_predict_rescales_to_the_original_image():
    head = build_head()
    head.eval()
    preds = [torch.full((1, 3, 128 // s, 128 // s, 8), -20.0) for s in (8, 16, 32)]
    # one confident box at scale 0, anchor 1 (16x30), cell (y=5, x=4); raw 0 -> centre
    # offset 0.5 (nearby: 1.5 tanh(0) + 0.5) and wh (2 sigmoid(0))^2 * anchor = anchor
    preds[0][0, 1, 5, 4, :5] = torch.tensor([20.0, 0.0, 0.0, 0.0, 0.0])
    preds[0][0, 1, 5, 4, 5 + 2] = 20.0
    meta = dict(ori_shape=(100, 200), scale_factor=(0.5, 0.5), pad_param=[14.0, 14.0, 0.0, 0.0])
    result = head.predict_by_feat(preds, [meta])[0]
    assert result.labels.tolist() == [2]
    assert result.scores[0] > 0.99
    # input-pixel box: centre (36, 44), 16x30 -> (28, 29, 44, 59); minus pad top 14,
    # divided by 0.5 -> (56, 30, 88, 90)
    assert result.bboxes[0].tolist() == pytest.approx([56.0, 30.0, 88.0, 90.0], abs=1e-3)


def test_predict_keeps_at_most_max_per_img_and_separates_images():
    head = build_head(test_cfg=dict(max_per_img=5, score_thr=0.0))
    head.eval()
    with torch.no_grad():
        results = head.predict_by_feat(head(feats(batch=3)), [dict(ori_shape=(128, 128))] * 3)
    assert len(results) == 3
    for res in results:
        assert 0 < len(res) <= 5
        assert (res.scores[:-1] >= res.scores[1:]).all()


def test_nms_keeps_overlapping_boxes_of_other_classes_and_images_left_of_zero():
    head = build_head(test_cfg=dict(score_thr=0.1))
    boxes = torch.tensor([[[-40.0, -30.0, 10.0, 20.0], [-39.0, -30.0, 10.0, 20.0],
                           [-40.0, -29.0, 11.0, 20.0]],
                          [[-40.0, -30.0, 10.0, 20.0], [500.0, 500.0, 501.0, 501.0],
                           [0.0, 0.0, 1.0, 1.0]]])
    scores = torch.zeros(2, 3, 3)
    scores[0, 0, 0], scores[0, 1, 0], scores[0, 2, 1] = 0.9, 0.8, 0.7  # 1 dup of class 0
    scores[1, 0, 0] = 0.6  # same box and class as image 0's best, other image
    dets = head.nms(boxes, scores)
    kept = {(int(d[0]), int(d[6]), round(float(d[5]), 2)) for d in dets}
    assert kept == {(0, 0, 0.9), (0, 1, 0.7), (1, 0, 0.6)}


def test_prediction_convs_have_no_bias_by_default_like_the_original():
    head = build_head()
    assert all(conv.bias is None for conv in head.convs)
    # so an all-zero feature map predicts exactly 0 logits: p = 0.5 everywhere
    outs = head([torch.zeros(1, c, 4, 4) for c in IN_CHANNELS])
    assert all(o.abs().max() == 0 for o in outs)


def test_prior_prob_sets_objectness_and_class_bias():
    head = build_head(conv_bias=True, prior_prob=0.01)
    outs = head([torch.zeros(1, c, 4, 4) for c in IN_CHANNELS])
    for out in outs:
        assert torch.allclose(out[..., 0].sigmoid(), torch.tensor(0.01), atol=1e-6)
        assert torch.allclose(out[..., 5:].sigmoid(), torch.tensor(0.01), atol=1e-6)
        assert out[..., 1:5].abs().max() == 0  # box outputs start unbiased
    # a bias with PyTorch's default init: small, not at the prior
    head = build_head(conv_bias=True)
    bias = head.convs[0].bias
    assert bias is not None and bias.abs().max() <= 1 / IN_CHANNELS[0] ** 0.5


def test_prior_prob_needs_a_bias_and_a_probability():
    with pytest.raises(ValueError, match='conv_bias=True'):
        build_head(prior_prob=0.01)
    with pytest.raises(ValueError, match='prior_prob'):
        build_head(conv_bias=True, prior_prob=1.5)
