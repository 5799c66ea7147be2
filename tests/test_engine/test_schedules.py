"""LR schedule (linear warmup, then cosine) and paramwise weight decay of the configs."""
import math
import os.path as osp

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from tests._tools.runs import train_entries
from tests._tools.tiny_config import DEMO_CONFIG, REPO
from yolo_toolbox.registry import MODELS


def expected_lr(step: int, base_lr: float, start_factor: float, warmup_iters: int,
                cosine_iters: int, eta_min_ratio: float) -> float:
    """LR of iteration ``step`` (0-based) under mmengine's LinearLR + CosineAnnealingLR.

    mmengine's LinearLR reaches the full LR at its last iteration
    (``total_iters = end - begin - 1``), so the LR is flat for one extra iteration.
    """
    if step < warmup_iters:
        return base_lr * (start_factor + (1 - start_factor) * step / (warmup_iters - 1))
    eta_min = base_lr * eta_min_ratio
    progress = (step - warmup_iters) / cosine_iters
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * progress)) / 2


def test_lr_is_linear_warmup_then_cosine(reference):
    cfg = Config.fromfile(reference['config'])
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, cosine.type) == ('LinearLR', 'CosineAnnealingLR')
    iters_per_epoch = 4
    logged = train_entries(reference['scalars'])
    assert sorted(logged) == list(range(1, 13))  # logger interval 1: every iteration
    for it, entry in logged.items():
        lr = expected_lr(it - 1, cfg.optim_wrapper.optimizer.lr, warmup.start_factor,
                         (warmup.end - warmup.begin) * iters_per_epoch,
                         cosine.T_max * iters_per_epoch, cosine.eta_min_ratio)
        assert entry['lr'] == pytest.approx(lr, rel=1e-6), f'iteration {it}'
    # a few landmarks: start of warmup, its end, the cosine's end
    base_lr = cfg.optim_wrapper.optimizer.lr
    assert logged[1]['lr'] == pytest.approx(base_lr * warmup.start_factor)
    assert logged[4]['lr'] == logged[5]['lr'] == pytest.approx(base_lr)
    assert logged[12]['lr'] < logged[11]['lr'] < logged[6]['lr'] < base_lr


def test_sgd_paramwise_cfg_exempts_norms_and_biases_from_decay():
    schedule = Config.fromfile(osp.join(REPO, 'configs/_base_/schedules/sgd_300e.py'))
    model = MODELS.build(Config.fromfile(DEMO_CONFIG).model)
    optim_wrapper = build_optim_wrapper(model, schedule.optim_wrapper)
    weight_decay = schedule.optim_wrapper.optimizer.weight_decay
    assert weight_decay > 0
    decay_of = {id(p): group['weight_decay']
                for group in optim_wrapper.optimizer.param_groups for p in group['params']}
    counts = dict(norm=0, bias=0, weight=0)
    for module_name, module in model.named_modules():
        for name, param in module.named_parameters(recurse=False):
            full_name = f'{module_name}.{name}'
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                kind, expected = 'norm', 0.0
            elif name == 'bias':
                kind, expected = 'bias', 0.0
            else:
                kind, expected = 'weight', weight_decay
            counts[kind] += 1
            assert decay_of[id(param)] == pytest.approx(expected), full_name
    assert min(counts.values()) > 0, counts
    group = optim_wrapper.optimizer.param_groups[0]
    assert (group['lr'], group['momentum'], group['nesterov']) == (0.01, 0.9, True)
