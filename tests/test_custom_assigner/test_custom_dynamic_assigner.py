"""The user's dynamic assigner of docs/custom_assigner.md (section 8): a hand-made case,
and one loss step of a head built from a config that imports it."""
import pytest
import torch
from mmengine.config import Config

from yolo_toolbox.models.task_modules.assigners import AssignLevel
from yolo_toolbox.registry import MODELS, TASK_UTILS

GT = (40.0, 40.0, 64.0, 64.0)  # cx, cy, w, h; centre in cell (2, 2) at stride 16


def test_top_iou_assigner_on_a_hand_made_case():
    from my_dynamic_assigner import (
        TopIoUAssigner,  # the user's file (see conftest.py)
    )
    assigner = TASK_UTILS.build(dict(type='TopIoUAssigner', topk=2))
    assert isinstance(assigner, TopIoUAssigner) and assigner.reach == (-1.0, 2.0)
    # predictions: far-away 1x1 boxes, except (2, 2) = the GT (IoU 1), (2, 3) moved 8 px
    # right (IoU 56 / 72 = 0.778), (2, 1) moved 24 px left (40 / 88 = 0.455), and (0, 2)
    # = the GT but outside the 1.5-cell window (its centre is 2 cells above)
    boxes = torch.tensor([1000.0, 1000.0, 1.0, 1.0]).repeat(1, 1, 8, 8, 1)
    for (y, x), dx in (((2, 2), 0), ((2, 3), 8), ((2, 1), -24), ((0, 2), 0)):
        boxes[0, 0, y, x] = torch.tensor([GT[0] + dx, GT[1], GT[2], GT[3]])
    level = AssignLevel(torch.tensor([[32.0, 32.0]]), (8, 8), 16, boxes,
                        torch.zeros(1, 1, 8, 8, 2))
    result, = assigner.assign_levels(torch.tensor([GT]), torch.tensor([0]),
                                     torch.tensor([0]), [level])
    assert set(zip(*(t.tolist() for t in result))) == {(0, 0, 2, 2, 0), (0, 0, 2, 3, 0)}
    assert sorted(result.target.tolist()) == pytest.approx([56 / 72, 1.0])


def test_head_from_a_user_config_trains_a_step(tmp_path):
    config = tmp_path / 'my_dynamic_yolo.py'
    config.write_text(
        "_base_ = '{}'\n".format(__file__.rsplit('/tests/', 1)[0] + '/configs/demo/yolo_demo_nearby.py')
        + "custom_imports = dict(imports=['my_dynamic_assigner'], allow_failed_imports=False)\n"
        "model = dict(backbone=dict(channel_sparsity=0.25), bbox_head=dict(assigner=dict("
        "_delete_=True, type='TopIoUAssigner', topk=9)))\n")
    cfg = Config.fromfile(str(config))
    model = MODELS.build(cfg.model)
    head = model.bbox_head
    assert type(head.assigner).__name__ == 'TopIoUAssigner'
    torch.manual_seed(0)
    feats = [torch.randn(2, c, 64 // s, 64 // s)
             for c, s in zip((16, 32, 64), head.strides)]
    head.convs = torch.nn.ModuleList(torch.nn.Conv2d(f.shape[1], conv.out_channels, 1)
                                     for f, conv in zip(feats, head.convs))
    gt = torch.tensor([[0.0, 1.0, 4.0, 6.0, 40.0, 36.0], [1.0, 2.0, 20.0, 10.0, 60.0, 50.0]])
    losses = head.loss_by_feat(head(feats), gt)
    total = losses['loss_obj'] + losses['loss_bbox'] + losses['loss_cls']
    total.backward()
    assert torch.isfinite(total) and losses['num_pos'] == 18  # 9 per GT, no conflict
    assert losses['gts_no_pos'] == 0


def test_old_base_class_name_still_works_with_a_warning():
    """``BaseDynamicAssigner`` is the deprecated name of ``BaseMultiLevelAssigner``: the
    same class, so a user's subclass written against the old name is unchanged."""
    import importlib

    import yolo_toolbox.models.task_modules.assigners as assigners
    assigners._warned.discard('BaseDynamicAssigner')
    with pytest.warns(DeprecationWarning, match='BaseMultiLevelAssigner'):
        from yolo_toolbox.models.task_modules.assigners import BaseDynamicAssigner
    assert BaseDynamicAssigner is assigners.BaseMultiLevelAssigner
    with pytest.warns(DeprecationWarning, match='base_multi_level_assigner'):
        old_module = importlib.import_module(
            'yolo_toolbox.models.task_modules.assigners.base_dynamic_assigner')
        importlib.reload(old_module)
    assert old_module.BaseDynamicAssigner is assigners.BaseMultiLevelAssigner

    class Old(BaseDynamicAssigner):
        def assign_levels(self, gt_boxes, gt_labels, batch_idx, levels):
            return self.empty_results(gt_boxes, len(levels))

    assert Old().multi_level and isinstance(Old(), assigners.BaseMultiLevelAssigner)
