"""IoU-family and focal losses against hand-computed values."""
import math

import pytest
import torch

from yolo_toolbox.registry import MODELS

A = [0.0, 0.0, 2.0, 2.0]
B = [1.0, 1.0, 3.0, 3.0]      # overlaps A: inter 1, union 7, enclosing 3x3
C = [2.0, 0.0, 3.0, 1.0]      # disjoint from UNIT
UNIT = [0.0, 0.0, 1.0, 1.0]
WIDE = [0.0, 0.0, 4.0, 2.0]   # same top-left as A, twice as wide


def iou_loss(mode, pred, target):
    loss = MODELS.build(dict(type='IoULoss', mode=mode, box_format='xyxy', reduction='none'))
    return loss(torch.tensor([pred]), torch.tensor([target])).item()


V_WIDE = 4 / math.pi ** 2 * (math.atan(2.0) - math.atan(1.0)) ** 2
CASES = {
    # mode: [(pred, target, expected similarity), ...]
    'iou': [(A, B, 1 / 7), (UNIT, C, 0.0), (A, A, 1.0)],
    'giou': [(A, B, 1 / 7 - 2 / 9), (UNIT, C, -1 / 3), (A, A, 1.0)],
    'diou': [(A, B, 1 / 7 - 2 / 18), (UNIT, C, -4 / 10), (A, A, 1.0)],
    'ciou': [(A, B, 1 / 7 - 2 / 18), (UNIT, C, -4 / 10), (A, A, 1.0),
             (A, WIDE, 0.5 - 1 / 20 - V_WIDE / (0.5 + V_WIDE) * V_WIDE)],
    # SIoU: centres on one horizontal line -> angle cost 0, gamma 2; same shape -> no
    # shape cost. Pred A, target 3 px to the right: enclosing 5x2, rho_x = (3/5)^2.
    'siou': [(A, [3.0, 0.0, 5.0, 2.0], 0.0 - 0.5 * (1 - math.exp(-2 * 0.36))),
             (A, A, 1.0)],
}


@pytest.mark.parametrize('mode,pred,target,similarity',
                         [(m, p, t, s) for m, cases in CASES.items() for p, t, s in cases])
def test_iou_family_hand_values(mode, pred, target, similarity):
    assert iou_loss(mode, pred, target) == pytest.approx(1 - similarity, abs=1e-5)


def test_siou_shape_cost():
    # same centre, width 2 vs 4, same height: omega_w = 2/4, shape cost (1 - e^-0.5)^4
    pred, target = [1.0, 0.0, 3.0, 2.0], [0.0, 0.0, 4.0, 2.0]
    expected = 0.5 - 0.5 * (1 - math.exp(-0.5)) ** 4
    assert iou_loss('siou', pred, target) == pytest.approx(1 - expected, abs=1e-5)


def test_iou_loss_cxcywh_matches_xyxy_and_has_gradients():
    pred = torch.tensor([[1.0, 1.0, 2.0, 2.0]], requires_grad=True)  # = A in cxcywh
    target = torch.tensor([[2.0, 2.0, 2.0, 2.0]])  # = B
    loss = MODELS.build(dict(type='IoULoss', mode='ciou'))(pred, target)
    assert loss.item() == pytest.approx(1 - (1 / 7 - 2 / 18), abs=1e-5)
    loss.backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


def test_unknown_iou_mode_is_refused():
    with pytest.raises(ValueError, match='unknown IoU mode'):
        MODELS.build(dict(type='IoULoss', mode='eiou'))


def test_focal_loss_hand_values():
    focal = MODELS.build(dict(type='FocalLoss', gamma=2.0, reduction='none'))
    # logit 0, target 1: bce = ln 2, p_t = 0.5 -> 0.25 ln 2
    assert focal(torch.tensor([0.0]), torch.tensor([1.0])).item() == pytest.approx(
        0.25 * math.log(2))
    # a confident right answer is down-weighted far more than plain BCE
    logit, target = torch.tensor([4.0]), torch.tensor([1.0])
    bce = math.log1p(math.exp(-4.0))
    assert focal(logit, target).item() == pytest.approx((1 - math.exp(-bce)) ** 2 * bce, rel=1e-3)
    plain = MODELS.build(dict(type='FocalLoss', gamma=0.0, reduction='none'))
    assert plain(logit, target).item() == pytest.approx(bce)


def test_focal_loss_soft_targets_weight_and_empty_input():
    focal = MODELS.build(dict(type='FocalLoss', gamma=1.5))
    logits, targets = torch.tensor([0.3, -1.0]), torch.tensor([0.7, 0.0])
    weighted = focal(logits, targets, weight=torch.tensor([1.0, 0.0]))
    alone = focal(logits[:1], targets[:1])
    assert weighted.item() == pytest.approx(alone.item() / 2)
    assert focal(torch.zeros(0), torch.zeros(0)).item() == 0.0


@pytest.mark.parametrize('alpha', [0.25, 0.5, 0.9, -1])
@pytest.mark.parametrize('gamma', [0.0, 2.0])
def test_focal_loss_matches_torchvision(alpha, gamma):
    """alpha balances positives against negatives, as torchvision's sigmoid_focal_loss."""
    from torchvision.ops import sigmoid_focal_loss
    torch.manual_seed(0)
    logits = torch.randn(64) * 3
    targets = (torch.rand(64) > 0.7).float()
    ours = MODELS.build(dict(type='FocalLoss', gamma=gamma, alpha=alpha, reduction='sum'))
    expected = sigmoid_focal_loss(logits, targets, alpha=alpha, gamma=gamma, reduction='sum')
    assert ours(logits, targets).item() == pytest.approx(expected.item(), rel=1e-5)


def test_focal_loss_default_is_unbalanced_and_old_constant_alpha_is_refused():
    """The default (no alpha) keeps the numbers of every config (none sets alpha); an alpha
    above 1 (the old constant factor) is refused with a pointer to loss_weight."""
    logits, targets = torch.tensor([0.3, -1.0, 2.0]), torch.tensor([1.0, 0.0, 0.4])
    plain = MODELS.build(dict(type='FocalLoss', gamma=1.5, reduction='none'))
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction='none')
    assert torch.allclose(plain(logits, targets), (1 - (-bce).exp()) ** 1.5 * bce)
    doubled = MODELS.build(dict(type='FocalLoss', gamma=1.5, loss_weight=2.0, reduction='none'))
    assert torch.allclose(doubled(logits, targets), 2 * plain(logits, targets))
    with pytest.raises(ValueError, match='loss_weight=2.0'):
        MODELS.build(dict(type='FocalLoss', alpha=2.0))


# ---------------------------------------------------------------- distribution focal loss
def test_dfl_hand_worked():
    dfl = MODELS.build(dict(type='DistributionFocalLoss', reduction='none'))
    # uniform over 4 bins: every CE is log 4, and the two weights sum to 1
    assert dfl(torch.zeros(1, 4), torch.tensor([2.3])).item() == pytest.approx(math.log(4))
    # probs (0.1, 0.6, 0.2, 0.1), target 1.25: 0.75 * CE(bin 1) + 0.25 * CE(bin 2)
    logits = torch.tensor([[0.1, 0.6, 0.2, 0.1]]).log()
    expected = 0.75 * -math.log(0.6) + 0.25 * -math.log(0.2)
    assert dfl(logits, torch.tensor([1.25])).item() == pytest.approx(expected, rel=1e-5)
    # an integer target is plain cross-entropy on its bin
    assert dfl(logits, torch.tensor([1.0])).item() == pytest.approx(-math.log(0.6), rel=1e-5)


def test_dfl_is_smallest_at_the_matching_split():
    target = torch.tensor([1.3])
    best = torch.tensor([[1e-6, 0.7, 0.3, 1e-6]]).log()
    worse = torch.tensor([[1e-6, 0.5, 0.5, 1e-6]]).log()
    dfl = MODELS.build(dict(type='DistributionFocalLoss'))
    assert dfl(best, target) < dfl(worse, target)
    assert dfl(torch.zeros(0, 4), torch.zeros(0)).item() == 0


def test_dfl_matches_ultralytics_when_installed():
    ref = pytest.importorskip('ultralytics.utils.loss')
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(12, 16, generator=gen)
    target = torch.rand(12, generator=gen) * 14.9
    ours = MODELS.build(dict(type='DistributionFocalLoss', reduction='none'))(logits, target)
    theirs = ref.DFLoss(16)(logits.view(3, 4, 16).reshape(-1, 16), target.view(3, 4))
    assert torch.allclose(ours.view(3, 4).mean(-1), theirs.squeeze(-1), atol=1e-5)
