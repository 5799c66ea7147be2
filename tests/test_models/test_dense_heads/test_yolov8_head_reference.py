"""YOLOv8Head's losses equal Ultralytics' v8DetectionLoss on the same predictions and the
same assignment (Ultralytics' own TaskAlignedAssigner, behind our assigner contract).

Skipped when ultralytics is not installed; never a dependency of the package.
"""
import pytest
import torch

from yolo_toolbox.models.task_modules.assigners import BaseGridAssigner, GridAssignResult
from yolo_toolbox.registry import MODELS, TASK_UTILS
from yolo_toolbox.structures import cxcywh_to_xyxy

ultralytics_tal = pytest.importorskip('ultralytics.utils.tal')
ultralytics_loss = pytest.importorskip('ultralytics.utils.loss')

IN_CHANNELS = (16, 32, 64)
STRIDES = (8, 16, 32)
NUM_CLASSES = 3


@TASK_UTILS.register_module(force=True)
class UltralyticsTALForTest(BaseGridAssigner):
    """Ultralytics' TaskAlignedAssigner (top 10, alpha 0.5, beta 6) behind assign_levels:
    its positives, with its target score as ``cls_target`` (the box weight follows it)."""

    uses_predictions = True
    multi_level = True
    reach = None

    def __init__(self):
        super().__init__()
        self.reference = ultralytics_tal.TaskAlignedAssigner(
            topk=10, num_classes=NUM_CLASSES, alpha=0.5, beta=6.0, stride=list(STRIDES))

    def assign(self, *args):
        raise NotImplementedError

    def assign_levels(self, gt_boxes, gt_labels, batch_idx, levels):
        batch = levels[0].pred_scores.shape[0]
        scores = torch.cat([lv.pred_scores.reshape(batch, -1, NUM_CLASSES) for lv in levels], 1)
        boxes = torch.cat([cxcywh_to_xyxy(lv.pred_boxes.reshape(batch, -1, 4)) for lv in levels],
                          1)
        points, level_of, cell_of = [], [], []
        for lvl, lv in enumerate(levels):
            grid_h, grid_w = lv.grid_size
            ys, xs = torch.meshgrid(torch.arange(grid_h), torch.arange(grid_w), indexing='ij')
            points.append((torch.stack([xs, ys], -1).reshape(-1, 2) + 0.5) * lv.stride)
            level_of.append(torch.full((grid_h * grid_w, ), lvl))
            cell_of.append(torch.stack([ys.reshape(-1), xs.reshape(-1)], -1))
        points, level_of, cell_of = torch.cat(points), torch.cat(level_of), torch.cat(cell_of)
        # pad the GTs per image, remembering each padded row's global index
        counts = torch.bincount(batch_idx, minlength=batch)
        max_gts = max(int(counts.max()) if counts.numel() else 0, 1)
        padded_labels = torch.zeros(batch, max_gts, 1)
        padded_boxes = torch.zeros(batch, max_gts, 4)
        mask = torch.zeros(batch, max_gts, 1)
        global_idx = torch.zeros(batch, max_gts, dtype=torch.long)
        for i in range(batch):
            rows = torch.nonzero(batch_idx == i)[:, 0]
            padded_labels[i, :len(rows), 0] = gt_labels[rows].float()
            padded_boxes[i, :len(rows)] = cxcywh_to_xyxy(gt_boxes[rows])
            mask[i, :len(rows)] = 1
            global_idx[i, :len(rows)] = rows
        _, _, target_scores, fg_mask, target_gt_idx = self.reference(
            scores, boxes, points, padded_labels, padded_boxes, mask)
        img, anchor = torch.nonzero(fg_mask, as_tuple=True)
        gt_idx = global_idx[img, target_gt_idx[img, anchor]]
        value = target_scores[img, anchor].sum(-1)
        results = []
        for lvl in range(len(levels)):
            at = level_of[anchor] == lvl
            cells = cell_of[anchor[at]]
            results.append(GridAssignResult(img[at], torch.zeros_like(img[at]), cells[:, 0],
                                            cells[:, 1], gt_idx[at], cls_target=value[at]))
        return results


def reference_criterion():
    from types import SimpleNamespace

    from ultralytics.cfg import get_cfg
    detect = SimpleNamespace(stride=torch.tensor(STRIDES, dtype=torch.float), nc=NUM_CLASSES,
                             reg_max=16)
    model = SimpleNamespace(args=get_cfg(), model=[detect],
                            parameters=lambda: iter([torch.zeros(1)]))
    return ultralytics_loss.v8DetectionLoss(model, tal_topk=10)


@pytest.mark.parametrize('assigner', [
    dict(type='UltralyticsTALForTest'),
    # ours, with the candidate rule of the installed Ultralytics (>= 8.4: small GTs widened
    # to 16 px for the in-box test): the whole loss, assignment included, is the reference's
    dict(type='TaskAlignedAssigner', topk=10, alpha=0.5, beta=6.0, min_box_size=16),
], ids=['ultralytics_assigner', 'our_assigner'])
def test_losses_equal_v8_detection_loss(assigner):
    torch.manual_seed(0)
    head = MODELS.build(dict(type='YOLOv8Head', num_classes=NUM_CLASSES, in_channels=IN_CHANNELS,
                             assigner=assigner))
    head.init_weights()
    gen = torch.Generator().manual_seed(1)
    feats = [torch.randn(2, c, 128 // s, 128 // s, generator=gen)
             for c, s in zip(IN_CHANNELS, STRIDES)]
    # GTs: batch index, label, x1, y1, x2, y2 in input pixels
    gts = torch.tensor([[0, 1, 10.0, 10.0, 60.0, 80.0], [1, 2, 30.0, 40.0, 120.0, 100.0],
                        [1, 0, 70.0, 5.0, 90.0, 20.0], [1, 1, 2.0, 60.0, 40.0, 126.0]])
    with torch.no_grad():
        preds = head(feats)
        ours = head.loss_by_feat(preds, gts)
        flat = torch.cat([p.reshape(2, -1, 64 + NUM_CLASSES) for p in preds], 1)
        reference = dict(boxes=flat[..., :64].permute(0, 2, 1), scores=flat[..., 64:].permute(
            0, 2, 1), feats=[p[:, 0].permute(0, 3, 1, 2) for p in preds])
        xyxy = gts[:, 2:] / 128
        batch = dict(batch_idx=gts[:, 0], cls=gts[:, 1],
                     bboxes=torch.cat([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]],
                                      1))
        theirs, _ = reference_criterion().loss(reference, batch)  # (box, cls, dfl) x batch
    assert ours['num_pos'] > 0
    assert ours['loss_bbox'].item() == pytest.approx(theirs[0].item(), rel=1e-4)
    assert ours['loss_cls'].item() == pytest.approx(theirs[1].item(), rel=1e-4)
    assert ours['loss_dfl'].item() == pytest.approx(theirs[2].item(), rel=1e-4)
