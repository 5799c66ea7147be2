"""head.register_assign_hook: the hook sees exactly the positives the loss learns from,
for both heads, static and prediction-using assigners; handle.remove() stops it."""
import pytest
import torch

from yolo_toolbox.registry import MODELS, TASK_UTILS

GT = torch.tensor([[0, 1, 10.0, 10.0, 60.0, 80.0],
                   [1, 2, 30.0, 40.0, 120.0, 100.0],
                   [1, 0, 70.0, 5.0, 90.0, 20.0]])


def build(head_type, assigner, **kwargs):
    in_channels = (8, 16, 32)
    cfg = dict(type=head_type, num_classes=3, in_channels=in_channels, assigner=assigner)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    gen = torch.Generator().manual_seed(0)
    feats = [torch.randn(2, c, 128 // s, 128 // s, generator=gen)
             for c, s in zip(in_channels, (8, 16, 32))]
    return head, head(feats)


def same(results_a, results_b):
    return all(torch.equal(x, y) for a, b in zip(results_a, results_b) for x, y in zip(a, b))


CASES = [('YOLOHead', dict(type='NearbyGridAssigner')),
         ('YOLOHead', dict(type='SimOTAAssigner')),
         ('YOLOHead', dict(type='ATSSAssigner')),
         ('YOLOv8Head', dict(type='TaskAlignedAssigner', topk=10, alpha=0.5, beta=6.0))]


@pytest.mark.parametrize('head_type,assigner', CASES)
def test_hook_records_what_the_loss_used(head_type, assigner):
    head, preds = build(head_type, assigner)
    calls = []
    handle = head.register_assign_hook(
        lambda h, gt, results: calls.append((h, gt, results)))
    losses = head.loss_by_feat(preds, GT)
    assert len(calls) == 1  # one assignment per batch
    owner, gt, results = calls[0]
    assert owner is head and gt is GT and len(results) == head.num_levels
    # the loss's own log of the positives is the recorded ones
    assert losses['num_pos'].item() == sum(r.num_pos for r in results) > 0
    per_gt = torch.bincount(torch.cat([r.gt_idx for r in results]), minlength=len(GT))
    assert losses['pos_per_gt'].item() == pytest.approx(per_gt.float().mean().item())
    # and assigning the same predictions again gives the same positives
    assert same(results, head.assign(preds, GT))
    handle.remove()
    head.loss_by_feat(preds, GT)
    head.assign(preds, GT)
    assert len(calls) == 2  # the assign() above still ran the hook; none after remove()


def test_recorded_slots_are_the_positives_of_the_objectness_loss():
    """With a constant objectness target, logits high on exactly the recorded slots and
    low elsewhere give zero objectness loss: the loss's positives are the recorded ones."""
    head, preds = build('YOLOHead', dict(type='NearbyGridAssigner'),
                        assign_conf_method='constant', loss_obj=dict(type='FocalLoss'))
    recorded = []
    with torch.no_grad():
        head.register_assign_hook(lambda h, gt, results: recorded.append(results))
        head.loss_by_feat(preds, GT)
        for pred, res in zip(preds, recorded[0]):
            pred[..., 0] = -30.0
            pred[res.batch_idx, res.anchor_idx, res.grid_y, res.grid_x, 0] = 30.0
        assert head.loss_by_feat(preds, GT)['loss_obj'].item() < 1e-6


def test_hooks_run_in_order_and_each_handle_removes_its_own():
    head, preds = build('YOLOHead', dict(type='SingleGridAssigner'))
    order = []
    first = head.register_assign_hook(lambda *args: order.append('first'))
    head.register_assign_hook(lambda *args: order.append('second'))
    head.assign(preds, GT)
    first.remove()
    first.remove()  # removing twice is harmless
    head.assign(preds, GT)
    assert order == ['first', 'second', 'second']
    with pytest.raises(TypeError, match='callable'):
        head.register_assign_hook('not a function')


def test_other_assigner_and_grid_sizes_without_a_network():
    """assign(assigner=...) runs another assigner through the same path (the hooks see
    it); grid sizes stand for the maps where the assigner uses no predictions."""
    head, preds = build('YOLOHead', dict(type='NearbyGridAssigner'))
    seen = []
    head.register_assign_hook(lambda h, gt, results: seen.append(results))
    other = TASK_UTILS.build(dict(type='AllGridAssigner'))
    sizes = [tuple(p.shape[2:4]) for p in preds]
    by_maps = head.assign(preds, GT, assigner=other)
    by_sizes = head.assign(sizes, GT, assigner=other)
    assert same(by_maps, by_sizes) and len(seen) == 2
    assert not same(by_maps, head.assign(preds, GT))  # the head's own assigner differs
    simota = TASK_UTILS.build(dict(type='SimOTAAssigner'))
    with pytest.raises(ValueError, match='prediction maps'):
        head.assign(sizes, GT, assigner=simota)


def test_static_results_carry_the_candidates_before_conflict_resolution():
    head, preds = build('YOLOHead', dict(type='NearbyGridAssigner', match_iou_thres=0.0))
    for result in head.assign(preds, GT):
        batch_idx, anchor_idx, grid_y, grid_x, gt_idx = result.candidates
        assert gt_idx.numel() >= result.num_pos
    head, preds = build('YOLOHead', dict(type='ATSSAssigner'))
    assert all(r.candidates is None for r in head.assign(preds, GT))
