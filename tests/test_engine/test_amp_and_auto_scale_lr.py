"""``tools/train.py --amp --auto-scale-lr`` on a CPU-only machine (one in-process run)."""
import math
import uuid

import pytest
import torch
from mmengine.optim import AmpOptimWrapper
from mmengine.runner import Runner

from tests._tools import load_tool
from yolo_toolbox.engine import CPUBf16OptimWrapper

train_tool = load_tool('tools/train.py')
cpu_only = pytest.mark.skipif(torch.cuda.is_available(),
                              reason='checks the CPU-only path; on a GPU --amp means fp16')


@pytest.fixture(scope='module')
def amp_run(tmp_path_factory):
    """One epoch (8 images: 2 iterations; no validation) with ``--amp --auto-scale-lr``."""
    from tests._tools.runs import session_setup
    from tests._tools.tiny_config import write_tiny_config
    work_dir = str(tmp_path_factory.mktemp('amp'))
    config = write_tiny_config(work_dir, session_setup(tmp_path_factory)['data_root'],
                               max_epochs=2)  # the schedule's length; the loop stops after 1
    args = train_tool.parse_args([
        config, '--work-dir', work_dir, '--amp', '--auto-scale-lr',
        '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_begin=2',
        'train_dataloader.dataset.indices=8',
        'default_hooks.checkpoint.interval=-1'])
    with pytest.warns(UserWarning, match='bf16'):
        cfg = train_tool.build_cfg(args)
    cfg.visualizer.name = f'vis_{uuid.uuid4().hex}'  # a fresh visualizer in this process
    runner = Runner.from_cfg(cfg)
    conv_out_dtypes = []
    runner.model.backbone.register_forward_hook(
        lambda module, inputs, outputs: conv_out_dtypes.append(outputs[-1].dtype))
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    return dict(cfg=cfg, runner=runner, conv_out_dtypes=conv_out_dtypes, losses=losses)


@cpu_only
def test_mmengine_amp_optim_wrapper_refuses_cpu():
    """Why CPUBf16OptimWrapper exists: mmengine's fp16 AMP wrapper asserts an accelerator."""
    model = torch.nn.Linear(2, 2)
    with pytest.raises(AssertionError, match='gpu'):
        AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


@cpu_only
def test_amp_on_cpu_trains_in_bf16_with_finite_loss(amp_run):
    assert amp_run['cfg'].optim_wrapper.type == 'CPUBf16OptimWrapper'
    assert isinstance(amp_run['runner'].optim_wrapper, CPUBf16OptimWrapper)
    # the forward pass ran under bf16 autocast, the parameters stayed fp32
    assert amp_run['conv_out_dtypes'] and set(amp_run['conv_out_dtypes']) == {torch.bfloat16}
    params = list(amp_run['runner'].model.parameters())
    assert all(p.dtype == torch.float32 for p in params)
    assert len(amp_run['losses']) == 2
    assert all(math.isfinite(loss) for loss in amp_run['losses'])


def test_auto_scale_lr_scales_by_total_batch(amp_run):
    """LR = config LR * (world size * batch per process) / base_batch_size."""
    cfg, runner = amp_run['cfg'], amp_run['runner']
    assert cfg.auto_scale_lr.enable
    total_batch = runner.world_size * cfg.train_dataloader.batch_size
    expected = cfg.optim_wrapper.optimizer.lr * total_batch / cfg.auto_scale_lr.base_batch_size
    for group in runner.optim_wrapper.optimizer.param_groups:
        # the schedulers start from the scaled LR
        assert group['initial_lr'] == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.001 * 4 / 24)  # the demo config LR, batch 4 of 24


def test_auto_scale_lr_needs_base_batch_size(tmp_path, tiny_config):
    config = tiny_config(extra='auto_scale_lr = dict(_delete_=True, enable=False)\n')
    args = train_tool.parse_args([config, '--work-dir', str(tmp_path), '--auto-scale-lr'])
    with pytest.raises(RuntimeError, match='base_batch_size'):
        train_tool.build_cfg(args)
