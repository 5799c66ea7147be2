"""YOLOv8Head: shapes, bias init, zero-GT safety, loss values with declared targets, any
assigner, prediction, learning on a fixed batch."""
import math

import pytest
import torch
import torch.nn.functional as F

from yolo_toolbox.models.task_modules.assigners import BaseGridAssigner, GridAssignResult
from yolo_toolbox.registry import MODELS, TASK_UTILS
from yolo_toolbox.structures import aligned_box_iou, cxcywh_to_xyxy, xyxy_to_cxcywh

IN_CHANNELS = (16, 32, 64)
GT = torch.tensor([[0, 1, 10.0, 10.0, 60.0, 80.0],
                   [1, 2, 30.0, 40.0, 120.0, 100.0],
                   [1, 0, 70.0, 5.0, 90.0, 20.0]])


@TASK_UTILS.register_module(force=True)
class CentreCellTestAssigner(BaseGridAssigner):
    """Each GT -> the cell of its centre at the first scale, with declared targets."""

    def __init__(self, cls_value=None, box_value=None):
        super().__init__()
        self.cls_value, self.box_value = cls_value, box_value
        self.reach = (0.0, 1.0)

    def assign(self, gt_boxes, gt_labels, batch_idx, anchors, grid_size, stride):
        raise NotImplementedError

    def assign_levels(self, gt_boxes, gt_labels, batch_idx, levels):
        first = levels[0]
        grid_y, grid_x = self.gt_cells(gt_boxes, first.grid_size, first.stride)
        num = gt_boxes.shape[0]

        def full(value):
            return None if value is None else gt_boxes.new_full((num, ), value)
        results = [GridAssignResult(batch_idx, torch.zeros_like(batch_idx), grid_y, grid_x,
                                    torch.arange(num), cls_target=full(self.cls_value),
                                    box_weight=full(self.box_value))]
        return results + [GridAssignResult.empty(gt_boxes.device) for _ in levels[1:]]


def build_head(**kwargs):
    cfg = dict(type='YOLOv8Head', num_classes=3, in_channels=IN_CHANNELS)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def feats(batch=2, size=128, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, size // s, size // s, generator=gen)
            for c, s in zip(IN_CHANNELS, (8, 16, 32))]


def total(losses):
    return losses['loss_cls'] + losses['loss_bbox'] + losses['loss_dfl']


def test_forward_shapes_and_branch_widths():
    head = build_head()
    outs = head(feats())
    assert [tuple(o.shape) for o in outs] == [(2, 1, 16, 16, 67), (2, 1, 8, 8, 67),
                                             (2, 1, 4, 4, 67)]
    # box branch max(16, 16 // 4, 64) = 64 channels; class branch max(16, min(3, 100)) = 16
    assert head.box_branches[0][0].conv.out_channels == 64
    assert head.cls_branches[0][0].conv.out_channels == 16


def test_bias_init():
    head = build_head()
    for level, stride in enumerate((8, 16, 32)):
        assert torch.all(head.box_branches[level][-1].bias == 1.0)
        expected = math.log(5 / 3 / (640 / stride) ** 2)
        assert torch.allclose(head.cls_branches[level][-1].bias, torch.tensor(expected))


def test_zero_gt_is_safe():
    head = build_head()
    losses = head.loss_by_feat(head(feats()), torch.zeros(0, 6))
    assert losses['loss_cls'] > 0 and losses['num_pos'] == 0
    assert losses['loss_bbox'] == 0 and losses['loss_dfl'] == 0
    assert all(torch.isfinite(v).all() for v in losses.values())
    total(losses).backward()
    # every branch is in the graph (DDP needs a gradient for each parameter)
    assert all(p.grad is not None for p in head.parameters())


def test_one_box_gives_every_loss():
    head = build_head()
    losses = head.loss_by_feat(head(feats()), GT[:1])
    assert losses['loss_bbox'] > 0 and losses['loss_dfl'] > 0 and losses['loss_cls'] > 0
    assert losses['num_pos'] > 0 and losses['gts_no_pos'] == 0
    total(losses).backward()


@pytest.mark.parametrize('cls_value, box_value', [(None, None), (0.8, None), (0.8, 0.3)])
def test_loss_values_follow_the_declared_targets(cls_value, box_value):
    head = build_head(assigner=dict(type='CentreCellTestAssigner', cls_value=cls_value,
                                    box_value=box_value))
    preds = head(feats())
    losses = head.loss_by_feat(preds, GT)
    # by hand: the three GTs sit in distinct cells of the stride-8 map
    value = 1.0 if cls_value is None else cls_value
    weight = value if box_value is None else box_value
    gt_boxes = xyxy_to_cxcywh(GT[:, 2:])
    cells = (gt_boxes[:, :2] / 8).floor().long()
    slots = (GT[:, 0].long(), torch.zeros(3, dtype=torch.long), cells[:, 1], cells[:, 0])
    cls_sum = 0.0
    for level, pred in enumerate(preds):
        target = torch.zeros_like(pred[..., 64:])
        if level == 0:
            target[(*slots, GT[:, 1].long())] = value
        cls_sum += F.binary_cross_entropy_with_logits(pred[..., 64:], target,
                                                      reduction='sum')
    norm = max(3 * value, 1.0) / 2  # target sum, times the batch of 2
    assert losses['loss_cls'].item() == pytest.approx(0.5 * cls_sum.item() / norm, rel=1e-5)

    raw = preds[0][slots][:, :64]
    grid_xy = cells.float()
    boxes = head.bbox_coder.decode(raw, grid_xy, None, 8, (16, 16))
    ciou = aligned_box_iou(cxcywh_to_xyxy(boxes), GT[:, 2:], mode='ciou')
    assert losses['loss_bbox'].item() == pytest.approx(
        7.5 * (weight * (1 - ciou)).sum().item() / norm, rel=1e-5)
    target = head.bbox_coder.target_distances(gt_boxes, grid_xy, 8)  # (3, 4) cells
    left = target.floor().long()
    logp = raw.view(3, 4, 16).log_softmax(-1)
    dfl = -(logp.gather(-1, left[..., None])[..., 0] * (left + 1 - target)
            + logp.gather(-1, left[..., None] + 1)[..., 0] * (target - left)).mean(-1)
    assert losses['loss_dfl'].item() == pytest.approx(
        1.5 * (weight * dfl).sum().item() / norm, rel=1e-5)


def test_scale_by_batch_off_and_no_dfl():
    head = build_head(scale_by_batch=False, loss_dfl=None, lambda_cls=1.0)
    scaled = build_head(lambda_cls=1.0)
    scaled.load_state_dict(head.state_dict())
    preds = head(feats())
    plain, by_batch = head.loss_by_feat(preds, GT), scaled.loss_by_feat(preds, GT)
    assert 'loss_dfl' not in plain
    assert by_batch['loss_cls'].item() == pytest.approx(2 * plain['loss_cls'].item(), rel=1e-5)
    with pytest.raises(ValueError, match='loss_dfl'):
        build_head(bbox_coder=dict(type='YOLOXBBoxCoder'))
    head = build_head(bbox_coder=dict(type='YOLOXBBoxCoder'), loss_dfl=None)
    assert head(feats())[0].shape[-1] == 4 + 3


@pytest.mark.parametrize('assigner', [
    dict(type='TaskAlignedAssigner', topk=10, alpha=0.5, beta=6.0),
    dict(type='SimOTAAssigner'),
    dict(type='ATSSAssigner'),
    dict(type='NearbyGridAssigner', match_iou_thres=0.0625),
], ids=lambda cfg: cfg['type'])
def test_any_assigner_trains_the_head(assigner):
    head = build_head(assigner=assigner)
    losses = head.loss_by_feat(head(feats()), GT)
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert losses['loss_cls'] > 0
    total(losses).backward()


def test_predict_rescales_and_limits():
    head = build_head(test_cfg=dict(max_per_img=5)).eval()
    metas = [dict(scale_factor=(0.5, 0.5), pad_param=(4, 4, 0, 0), ori_shape=(240, 256)),
             dict(ori_shape=(128, 128))]
    with torch.no_grad():
        preds = head(feats())
        boxes, scores = head.decode_preds(preds)
        results = head.predict_by_feat(preds, metas)
    assert boxes.shape == (2, 16 * 16 + 8 * 8 + 4 * 4, 4) and scores.shape == (2, 336, 3)
    assert torch.allclose(scores, torch.cat([p[..., 64:].sigmoid().reshape(2, -1, 3)
                                             for p in preds], 1))
    assert all(len(r.bboxes) <= 5 for r in results)
    assert (results[0].bboxes[:, 2] <= 256).all() and (results[0].bboxes[:, 3] <= 240).all()
    dets = head.nms(boxes, scores)
    assert dets.shape[1] == 7


def test_learns_a_fixed_batch():
    torch.manual_seed(0)
    head = build_head()
    inputs = feats()
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-3)
    history = []
    for _ in range(30):
        losses = head.loss_by_feat(head(inputs), GT)
        optimizer.zero_grad()
        total(losses).backward()
        optimizer.step()
        history.append(total(losses).item())
    assert history[-1] < 0.5 * history[0]
