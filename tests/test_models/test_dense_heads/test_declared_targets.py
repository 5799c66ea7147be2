"""The head applies the targets an assigner declares (obj_target, cls_target,
box_weight), with no branch per assigner; without them it keeps its defaults."""
import pytest
import torch
import torch.nn.functional as F

from yolo_toolbox.models.task_modules.assigners import BaseGridAssigner, GridAssignResult
from yolo_toolbox.registry import MODELS, TASK_UTILS
from yolo_toolbox.structures import aligned_box_iou, cxcywh_to_xyxy

IN_CHANNELS = (8, 16, 32)
GT = torch.tensor([[0, 1, 10.0, 10.0, 60.0, 80.0], [0, 2, 30.0, 40.0, 120.0, 100.0]])


@TASK_UTILS.register_module()
class FixedTargetsAssigner(BaseGridAssigner):
    """Two positives at stride 8, with the targets given in the config."""
    reach = (-1.0, 2.0)
    squash = 'tanh'

    def __init__(self, obj=None, cls=None, weight=None):
        super().__init__()
        self.targets = dict(obj_target=obj, cls_target=cls, box_weight=weight)

    def assign(self, gt_boxes, gt_labels, batch_idx, anchors, grid_size, stride):
        if stride != 8:
            return GridAssignResult.empty(gt_boxes.device)
        idx = torch.tensor([0, 1])
        return GridAssignResult(torch.tensor([0, 0]), torch.tensor([0, 2]), torch.tensor([5, 8]),
                                torch.tensor([4, 9]), idx,
                                **{k: None if v is None else torch.tensor(v)
                                   for k, v in self.targets.items()})


def losses(cls_target_on='objectness', **assigner):
    head = MODELS.build(dict(
        type='YOLOHead', num_classes=3, in_channels=IN_CHANNELS, cls_target_on=cls_target_on,
        assigner=dict(type='FixedTargetsAssigner', **assigner),
        loss_obj=dict(type='FocalLoss', gamma=0.0), loss_cls=dict(type='FocalLoss', gamma=0.0),
        loss_bbox=dict(type='IoULoss', mode='ciou')))
    gen = torch.Generator().manual_seed(0)
    feats = [torch.randn(1, c, 128 // s, 128 // s, generator=gen)
             for c, s in zip(IN_CHANNELS, (8, 16, 32))]
    preds = head(feats)
    return head, preds, head.loss_by_feat(preds, GT)


def expected(head, preds, obj=None, cls=None, weight=None, cls_target_on='objectness'):
    """The stride-8 losses worked out from the definitions."""
    pred = preds[0]
    slots = (torch.tensor([0, 0]), torch.tensor([0, 2]), torch.tensor([5, 8]), torch.tensor([4, 9]))
    pos = pred[slots]
    grid_xy = torch.tensor([[4.0, 5.0], [9.0, 8.0]])
    boxes = head.bbox_coder.decode(pos[:, 1:5], grid_xy, head.anchors[0][slots[1]], 8, (16, 16))
    gt = torch.cat([(GT[:, 2:4] + GT[:, 4:6]) / 2, GT[:, 4:6] - GT[:, 2:4]], dim=1)
    ciou = aligned_box_iou(cxcywh_to_xyxy(boxes), cxcywh_to_xyxy(gt), mode='ciou')
    w = torch.ones(2) if weight is None else torch.tensor(weight)
    loss_bbox = ((1 - ciou) * w).sum() / w.sum()
    iou = aligned_box_iou(cxcywh_to_xyxy(boxes), cxcywh_to_xyxy(gt)).clamp(0, 1).detach()
    obj_target = torch.zeros_like(pred[..., 0])
    obj_target[slots] = iou if obj is None else torch.tensor(obj)
    on_class = cls is not None and cls_target_on == 'class'
    if cls is not None and not on_class:  # the quality goes into the objectness target
        obj_target[slots] = obj_target[slots] * torch.tensor(cls)
    loss_obj = F.binary_cross_entropy_with_logits(pred[..., 0], obj_target)
    cls_target = torch.zeros(2, 3)
    cls_target[torch.arange(2), torch.tensor([1, 2])] = torch.tensor(cls) if on_class else 1.0
    loss_cls = F.binary_cross_entropy_with_logits(pos[:, 5:], cls_target)
    return loss_obj, loss_bbox, loss_cls


@pytest.mark.parametrize('targets', [
    dict(),  # the head's defaults: IoU objectness, one-hot classes, equal box weights
    dict(obj=[1.0, 1.0], cls=[0.7, 0.2]),  # YOLOX: IoU-aware class targets, objectness 1
    dict(obj=[1.0, 1.0], cls=[0.9, 0.1], weight=[0.9, 0.1]),  # YOLOv8: t_hat weights the box
    dict(obj=[0.6, 0.3], weight=[0.6, 0.3]),  # ATSS: centerness as quality and box weight
])
@pytest.mark.parametrize('cls_target_on', ['objectness', 'class'])
def test_declared_targets_are_the_losses_targets(targets, cls_target_on):
    head, preds, out = losses(cls_target_on, **targets)
    loss_obj, loss_bbox, loss_cls = expected(head, preds, cls_target_on=cls_target_on, **targets)
    assert out['obj_s8'].item() == pytest.approx(loss_obj.item(), rel=1e-5)
    assert out['bbox_s8'].item() == pytest.approx(loss_bbox.item(), rel=1e-5)
    assert out['cls_s8'].item() == pytest.approx(loss_cls.item(), rel=1e-5)
    assert out['num_pos'].item() == 2 and 0 <= out['pos_iou'].item() <= 1


def test_box_weight_changes_the_box_loss_and_targets_must_match_the_positives():
    _, _, equal = losses()
    _, _, weighted = losses(weight=[1.0, 0.0])
    assert weighted['bbox_s8'].item() != pytest.approx(equal['bbox_s8'].item())
    with pytest.raises(ValueError, match='one value per positive'):
        GridAssignResult(*(torch.zeros(2, dtype=torch.long), ) * 5, cls_target=torch.ones(3))


def normalised_losses(normalizer, cls_target_on='objectness', **assigner):
    head = MODELS.build(dict(
        type='YOLOHead', num_classes=3, in_channels=IN_CHANNELS, cls_target_on=cls_target_on,
        assigner=dict(type='FixedTargetsAssigner', **assigner), loss_normalizer=normalizer,
        loss_obj=dict(type='FocalLoss', gamma=0.0), loss_cls=dict(type='FocalLoss', gamma=0.0),
        loss_bbox=dict(type='IoULoss', mode='ciou'), lambda_coord=5.0))
    gen = torch.Generator().manual_seed(0)
    feats = [torch.randn(1, c, 128 // s, 128 // s, generator=gen)
             for c, s in zip(IN_CHANNELS, (8, 16, 32))]
    preds = head(feats)
    return head, preds, head.loss_by_feat(preds, GT)


@pytest.mark.parametrize('targets', [
    dict(),
    dict(obj=[1.0, 1.0], cls=[0.7, 0.2]),
    dict(obj=[0.6, 0.3], weight=[0.6, 0.3]),
    dict(obj=[1.0, 1.0], cls=[0.9, 0.1], weight=[0.9, 0.1]),
])
@pytest.mark.parametrize('normalizer', ['num_pos', 'target_sum'])
@pytest.mark.parametrize('cls_target_on', ['objectness', 'class'])
def test_loss_normalizers_sum_and_divide_as_the_references(normalizer, targets, cls_target_on):
    """'num_pos' (YOLOX / ATSS): sums over every slot of every scale (classes summed too)
    over the number of positives, a weighted box loss over the sum of its weights;
    'target_sum' (YOLOv8): everything over the sum of the score targets (at least 1)."""
    head, preds, out = normalised_losses(normalizer, cls_target_on, **targets)
    pred = preds[0]
    slots = (torch.tensor([0, 0]), torch.tensor([0, 2]), torch.tensor([5, 8]), torch.tensor([4, 9]))
    pos = pred[slots]
    grid_xy = torch.tensor([[4.0, 5.0], [9.0, 8.0]])
    boxes = head.bbox_coder.decode(pos[:, 1:5], grid_xy, head.anchors[0][slots[1]], 8, (16, 16))
    gt = torch.cat([(GT[:, 2:4] + GT[:, 4:6]) / 2, GT[:, 4:6] - GT[:, 2:4]], dim=1)
    ciou = aligned_box_iou(cxcywh_to_xyxy(boxes), cxcywh_to_xyxy(gt), mode='ciou')
    iou = aligned_box_iou(cxcywh_to_xyxy(boxes), cxcywh_to_xyxy(gt)).clamp(0, 1).detach()
    obj = iou if targets.get('obj') is None else torch.tensor(targets['obj'])
    cls = targets.get('cls')
    on_class = cls is not None and cls_target_on == 'class'
    if cls is not None and not on_class:
        obj = obj * torch.tensor(cls)
    score = obj * torch.tensor(cls) if on_class else obj
    w = torch.ones(2) if targets.get('weight') is None else torch.tensor(targets['weight'])
    if normalizer == 'num_pos':
        norm = torch.tensor(2.0)
        box_norm = w.sum() if targets.get('weight') is not None else norm
    else:
        norm = box_norm = score.sum().clamp(min=1.0)
    obj_target = torch.zeros_like(pred[..., 0])
    obj_target[slots] = obj
    loss_obj = F.binary_cross_entropy_with_logits(pred[..., 0], obj_target, reduction='sum')
    cls_target = torch.zeros(2, 3)
    cls_target[torch.arange(2), torch.tensor([1, 2])] = torch.tensor(cls) if on_class else 1.0
    loss_cls = F.binary_cross_entropy_with_logits(pos[:, 5:], cls_target, reduction='sum')
    loss_bbox = ((1 - ciou) * w).sum()
    assert out['obj_s8'].item() == pytest.approx((loss_obj / norm).item(), rel=1e-5)
    assert out['bbox_s8'].item() == pytest.approx((loss_bbox / box_norm).item(), rel=1e-5)
    assert out['cls_s8'].item() == pytest.approx((loss_cls / norm).item(), rel=1e-5)
    # the other scales have no positive: only their negatives' objectness, same normaliser
    loss_obj16 = F.binary_cross_entropy_with_logits(
        preds[1][..., 0], torch.zeros_like(preds[1][..., 0]), reduction='sum')
    assert out['obj_s16'].item() == pytest.approx((loss_obj16 / norm).item(), rel=1e-5)
    assert out['bbox_s16'].item() == 0 and out['cls_s16'].item() == 0
    total_obj = sum(out[f'obj_s{s}'] for s in (8, 16, 32))
    assert out['loss_obj'].item() == pytest.approx(total_obj.item(), rel=1e-5)
    assert out['loss_bbox'].item() == pytest.approx(5.0 * out['bbox_s8'].item(), rel=1e-5)


def test_loss_normalizer_comes_from_the_assigner_unless_configured():
    def build(assigner, **kw):
        return MODELS.build(dict(type='YOLOHead', num_classes=3, in_channels=IN_CHANNELS,
                                 assigner=assigner, **kw))
    assert build(dict(type='NearbyGridAssigner')).loss_normalizer == 'mean'
    assert build(dict(type='SimOTAAssigner')).loss_normalizer == 'num_pos'
    assert build(dict(type='ATSSAssigner')).loss_normalizer == 'num_pos'
    assert build(dict(type='TaskAlignedAssigner')).loss_normalizer == 'target_sum'
    assert build(dict(type='TaskAlignedAssigner'), loss_normalizer='mean').loss_normalizer == 'mean'
    with pytest.raises(ValueError, match='loss_normalizer must be one of'):
        build(dict(type='NearbyGridAssigner'), loss_normalizer='sum')
