"""The head's side of the contract: it gives an assigner what the assigner declares it
needs (all scales; detached predictions only with ``uses_predictions``) and uses a soft
target when the assigner gives one."""
import torch

from yolo_toolbox.models.task_modules.assigners import BaseGridAssigner, GridAssignResult
from yolo_toolbox.registry import MODELS, TASK_UTILS


@TASK_UTILS.register_module(force=True)
class _RecordingAssigner(BaseGridAssigner):
    """One positive per scale at (image 0, anchor 1, cell (0, 0)) for GT 0, soft target 0.3."""

    uses_predictions = True
    multi_level = True
    seen = []

    def assign(self, *args):
        raise AssertionError('the head must call assign_levels')

    def assign_levels(self, gt_boxes, gt_labels, batch_idx, levels):
        type(self).seen = list(levels)
        one = torch.ones(1, dtype=torch.long)
        zero = torch.zeros(1, dtype=torch.long)
        return [GridAssignResult(zero, one, zero, zero, zero, torch.tensor([0.3]))
                for _ in levels]


def head_and_preds(assigner):
    head = MODELS.build(dict(type='YOLOHead', num_classes=3, in_channels=(4, 4),
                             anchors=[[(8, 8), (16, 16)], [(32, 32), (64, 64)]],
                             strides=(8, 16), lambda_scales=(1.0, 1.0),
                             assigner=assigner, assign_conf_method='constant'))
    torch.manual_seed(0)
    feats = [torch.randn(2, 4, 8, 8, requires_grad=True),
             torch.randn(2, 4, 4, 4, requires_grad=True)]
    gt = torch.tensor([[0.0, 1.0, 4.0, 4.0, 20.0, 24.0]])  # batch, label, x1 y1 x2 y2
    return head, head(feats), gt


def test_dynamic_assigner_gets_detached_predictions_of_every_scale():
    head, preds, gt = head_and_preds(dict(type='_RecordingAssigner'))
    head.loss_by_feat(preds, gt)
    levels = _RecordingAssigner.seen
    assert [lv.grid_size for lv in levels] == [(8, 8), (4, 4)]
    assert [lv.stride for lv in levels] == [8, 16]
    for lvl, (level, pred) in enumerate(zip(levels, preds)):
        assert torch.equal(level.anchors, head.anchors[lvl])
        assert not level.pred_boxes.requires_grad and not level.pred_scores.requires_grad
        assert torch.allclose(level.pred_boxes, head.decode_level(pred, lvl).detach())
        expected = pred[..., :1].sigmoid() * pred[..., 5:].sigmoid()
        assert level.pred_scores.shape == (2, 2, *level.grid_size, 3)
        assert torch.allclose(level.pred_scores, expected.detach())


def test_static_assigner_gets_no_predictions_and_keeps_its_results():
    head, preds, gt = head_and_preds(dict(type='SingleGridAssigner', match_iou_thres=0.5))
    results = head.assign(preds, gt)
    # GT 16x20 centred (12, 14): stride 8 cell (1, 1), anchor 16x16 (shape IoU 0.8);
    # stride 16 cell (0, 0), no anchor >= 0.5 (32x32: 320 / 1024)
    assert [set(zip(*(t.tolist() for t in r))) for r in results] == [{(0, 1, 1, 1, 0)}, set()]
    assert all(r.target is None for r in results)


def test_soft_target_becomes_the_objectness_target():
    head, preds, gt = head_and_preds(dict(type='_RecordingAssigner'))
    targets = []
    head.loss_obj.register_forward_hook(lambda module, args, out: targets.append(args[1]))
    losses = head.loss_by_feat(preds, gt)
    assert len(targets) == 2
    for target in targets:  # 0.3 at the positive, 0 elsewhere; not 'constant' 1
        assert target[0, 1, 0, 0] == torch.tensor(0.3)
        assert target.sum() == torch.tensor(0.3)
    # logs: GT 0 has one positive per scale
    assert losses['pos_per_gt'] == 2.0 and losses['gts_no_pos'] == 0.0
