"""The toolbox's dynamic assigners against the reference packages' own code, on shared inputs.

Random batches at 640 x 640 (4 images, 2-12 GTs of 8-320 px each), strides 8 / 16 / 32,
one anchor per cell so that a slot is exactly an anchor point; every slot's predicted box
(a jittered box near the cell) and class scores are the same on both sides. Agreement:
at least 99 % of the reference's positives are also positives here with the same GT,
and the toolbox has at most 1 % more positives than the reference. Skipped where the
reference is not installed (requirements/tests_reference.txt).
"""
import pytest
import torch

from yolo_toolbox.models.task_modules.assigners import AssignLevel
from yolo_toolbox.registry import TASK_UTILS

STRIDES = (8, 16, 32)
SIZE = 640
NUM_CLASSES = 5


def make_batch(seed: int, num_images: int = 4):
    gen = torch.Generator().manual_seed(seed)
    gts, labels, batch = [], [], []
    for image in range(num_images):
        n = int(torch.randint(2, 13, (1, ), generator=gen))
        wh = torch.exp(torch.empty(n, 2).uniform_(2.1, 5.8, generator=gen))  # 8 .. 330 px
        wh = wh.clamp(max=SIZE - 2)
        centre = wh / 2 + torch.rand(n, 2, generator=gen) * (SIZE - wh)
        gts.append(torch.cat([centre, wh], dim=1))
        labels.append(torch.randint(0, NUM_CLASSES, (n, ), generator=gen))
        batch.append(torch.full((n, ), image))
    gts, labels, batch = torch.cat(gts), torch.cat(labels), torch.cat(batch)
    # per slot: cell centre, a box near it, random scores
    centres, strides = [], []
    for stride in STRIDES:
        size = SIZE // stride
        ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing='ij')
        centres.append((torch.stack([xs, ys], -1).reshape(-1, 2).float() + 0.5) * stride)
        strides.append(torch.full((size * size, ), float(stride)))
    centres, strides = torch.cat(centres), torch.cat(strides)  # (M, 2), (M,)
    num_slots = centres.shape[0]
    jitter = torch.randn(num_images, num_slots, 2, generator=gen) * strides[:, None]
    pred_wh = strides[:, None] * torch.exp(torch.empty(num_images, num_slots, 2).uniform_(
        0.5, 3.5, generator=gen))
    pred_boxes = torch.cat([centres + jitter, pred_wh], dim=-1)  # (B, M, 4) cxcywh
    cls_logits = torch.randn(num_images, num_slots, NUM_CLASSES, generator=gen) * 2
    obj_logits = torch.randn(num_images, num_slots, 1, generator=gen) * 2
    return gts, labels, batch, centres, strides, pred_boxes, cls_logits, obj_logits


def levels_of(pred_boxes, scores):
    """Flat (B, M, D) slot tensors -> the toolbox's AssignLevels (B, 1, H, W, D)."""
    levels, start = [], 0
    for stride in STRIDES:
        size = SIZE // stride
        stop = start + size * size
        view = (pred_boxes.shape[0], 1, size, size, -1)
        levels.append(AssignLevel(torch.tensor([[float(stride)] * 2]), (size, size), stride,
                                  pred_boxes[:, start:stop].reshape(view),
                                  scores[:, start:stop].reshape(view)))
        start = stop
    return levels


def our_positives(results):
    """{(image, flat slot): gt} from per-level results (one anchor per cell)."""
    out, start = {}, 0
    for stride, result in zip(STRIDES, results):
        size = SIZE // stride
        flat = start + result.grid_y * size + result.grid_x
        for b, m, g in zip(result.batch_idx.tolist(), flat.tolist(), result.gt_idx.tolist()):
            out[b, m] = g
        start += size * size
    return out


def our_targets(results, name):
    out, start = {}, 0
    for stride, result in zip(STRIDES, results):
        size = SIZE // stride
        flat = start + result.grid_y * size + result.grid_x
        values = getattr(result, name)
        for b, m, v in zip(result.batch_idx.tolist(), flat.tolist(), values.tolist()):
            out[b, m] = v
        start += size * size
    return out


def agreement(ours: dict, ref: dict) -> tuple[float, float]:
    """(share of the reference's positives that are positives here with the same GT,
    positives here / the reference's)."""
    same = sum(1 for key, gt in ref.items() if ours.get(key) == gt)
    return same / max(len(ref), 1), len(ours) / max(len(ref), 1)


def xyxy(boxes):
    return torch.cat([boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., :2] + boxes[..., 2:] / 2],
                     dim=-1)


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('min_box_size', [None, 16.0])
def test_task_aligned_agrees_with_ultralytics(seed, min_box_size):
    tal = pytest.importorskip('ultralytics.utils.tal')
    gts, labels, batch, centres, strides, pred_boxes, cls_logits, obj_logits = make_batch(seed)
    scores = cls_logits.sigmoid() * obj_logits.sigmoid()
    num_images = pred_boxes.shape[0]
    n_max = int(torch.bincount(batch).max())
    gt_xyxy = torch.zeros(num_images, n_max, 4)
    gt_lab = torch.zeros(num_images, n_max, 1)
    mask_gt = torch.zeros(num_images, n_max, 1)
    rows = {}
    for image in range(num_images):
        idx = torch.nonzero(batch == image).squeeze(1)
        gt_xyxy[image, :len(idx)] = xyxy(gts[idx])
        gt_lab[image, :len(idx), 0] = labels[idx].float()
        mask_gt[image, :len(idx)] = 1
        rows[image] = idx.tolist()
    ref = tal.TaskAlignedAssigner(topk=10, num_classes=NUM_CLASSES, alpha=0.5, beta=6.0)
    ref.stride_val = 0.0 if min_box_size is None else min_box_size
    _, _, target_scores, fg_mask, target_gt_idx = ref(
        scores, xyxy(pred_boxes), centres, gt_lab, gt_xyxy, mask_gt)
    ref_pos, ref_target = {}, {}
    for b, m in torch.nonzero(fg_mask).tolist():
        t = float(target_scores[b, m].max())
        if t > 0:  # fg with target 0 (alignment 0) gets no loss there: a negative here
            ref_pos[b, m] = rows[b][int(target_gt_idx[b, m])]
            ref_target[b, m] = t

    assigner = TASK_UTILS.build(dict(type='TaskAlignedAssigner', min_box_size=min_box_size))
    results = assigner.assign_levels(gts, labels, batch, levels_of(pred_boxes, scores))
    ours = our_positives(results)
    same, ratio = agreement(ours, ref_pos)
    assert len(ref_pos) > 100
    assert same >= 0.99 and ratio <= 1.01, (same, ratio, len(ref_pos))
    # the normalised alignment, our class target and box weight, where both agree
    mine = our_targets(results, 'cls_target')
    close = [abs(mine[k] - v) < 2e-3 for k, v in ref_target.items() if ours.get(k) == ref_pos[k]]
    assert sum(close) / len(close) >= 0.99


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_simota_agrees_with_yolox(seed):
    yolo_head = pytest.importorskip('yolox.models.yolo_head')
    gts, labels, batch, centres, strides, pred_boxes, cls_logits, obj_logits = make_batch(seed)
    head = yolo_head.YOLOXHead(NUM_CLASSES)
    sizes = [SIZE // s for s in STRIDES]
    x_shifts = torch.cat([torch.arange(n).repeat(n) for n in sizes]).float()[None]
    y_shifts = torch.cat([torch.arange(n).repeat_interleave(n) for n in sizes]).float()[None]
    ref_pos, ref_iou = {}, {}
    for image in range(pred_boxes.shape[0]):
        idx = torch.nonzero(batch == image).squeeze(1)
        with torch.no_grad():
            _, fg_mask, pred_ious, matched, _ = head.get_assignments(
                image, len(idx), centres.shape[0], gts[idx], labels[idx].float(),
                pred_boxes[image], strides[None], x_shifts, y_shifts, cls_logits, None,
                obj_logits, None, None, mode='gpu')
        for m, g, v in zip(torch.nonzero(fg_mask).squeeze(1).tolist(), matched.tolist(),
                           pred_ious.tolist()):
            ref_pos[image, m] = idx[g].item()
            ref_iou[image, m] = v

    scores = cls_logits.sigmoid() * obj_logits.sigmoid()
    assigner = TASK_UTILS.build(dict(type='SimOTAAssigner'))
    results = assigner.assign_levels(gts, labels, batch, levels_of(pred_boxes, scores))
    ours = our_positives(results)
    same, ratio = agreement(ours, ref_pos)
    assert len(ref_pos) > 30
    assert same >= 0.99 and ratio <= 1.01, (same, ratio, len(ref_pos))
    mine = our_targets(results, 'cls_target')  # YOLOX's class target: the IoU
    close = [abs(mine[k] - v) < 1e-4 for k, v in ref_iou.items() if ours.get(k) == ref_pos[k]]
    assert sum(close) / len(close) >= 0.99
