"""Training speed options: CompileModelHook (torch.compile, opt-in), channels_last batches,
the CUDA defaults as config entries (AutoAmpOptimWrapper, cudnn_benchmark), fp32 losses
under autocast.

The compile tests use ``backend='eager'`` (TorchDynamo traces, no code generation): they
check what compiling does to the module tree, state_dict, EMA and checkpoints in seconds.
Inductor itself (the default backend) takes minutes on a 2-core CPU for this network;
``YOLO_TEST_INDUCTOR=1`` runs that case too.
"""
import copy
import os
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

from tests._tools import load_tool
from tests._tools.tiny_config import DEMO_CONFIG
from yolo_toolbox.engine import setup_compile
from yolo_toolbox.registry import HOOKS, MODELS

random_train_batch = load_tool('tools/analysis_tools/benchmark.py').random_train_batch


def _model_and_batch(size: int = 64):
    cfg = Config.fromfile(DEMO_CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = random_train_batch(2, size, 3, model.bbox_head.num_classes,
                               torch.Generator().manual_seed(0))
    return cfg, model, batch


def _runner(model):
    return SimpleNamespace(model=model, iter=0, epoch=0, _resume=False,
                           logger=MMLogger.get_current_instance())


def _compiled_step(backend: str):
    cfg, model, batch = _model_and_batch()
    reference = copy.deepcopy(model)
    keys = list(model.state_dict())
    (ema_cfg, ) = [copy.deepcopy(h) for h in cfg.custom_hooks if h.type == 'EMAHook']
    ema_cfg.pop('priority')
    ema_hook = HOOKS.build(ema_cfg)
    hook = HOOKS.build(dict(type='CompileModelHook', backend=backend))
    runner = _runner(model)
    ema_hook.before_run(runner)  # the EMA copy is made before compiling, as in the Runner
    hook.before_train(runner)
    model.train()
    reference.train()
    wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    ref_wrapper = build_optim_wrapper(reference, copy.deepcopy(cfg.optim_wrapper))
    for i in range(2):
        hook.before_train_iter(runner, i)
        log = model.train_step(batch, wrapper)
        hook.after_train_iter(runner, i)
        ema_hook.after_train_iter(runner, i)
        ref_log = reference.train_step(batch, ref_wrapper)
    return model, reference, keys, hook, ema_hook, log, ref_log


def test_compile_hook_keeps_state_dict_ema_and_checkpoints(tmp_path):
    model, reference, keys, hook, ema_hook, log, ref_log = _compiled_step('eager')
    assert list(model.state_dict()) == keys  # no '_orig_mod.' anywhere
    assert not any('_orig_mod' in k for k in ema_hook.ema_model.state_dict())
    assert hook.compile_seconds is not None and hook.compile_seconds > 0
    for name in ('backbone', 'neck', 'bbox_head'):
        assert getattr(model, name)._compiled_call_impl is not None
        assert getattr(ema_hook.ema_model.module, name)._compiled_call_impl is None
    # the same numbers as the eager model after two optimizer steps
    torch.testing.assert_close(log['loss'], ref_log['loss'], rtol=1e-4, atol=1e-5)
    # a checkpoint of the compiled model loads strictly into a fresh, uncompiled one
    path = tmp_path / 'ckpt.pth'
    torch.save(model.state_dict(), path)
    fresh = MODELS.build(Config.fromfile(DEMO_CONFIG).model)
    fresh.load_state_dict(torch.load(path), strict=True)


@pytest.mark.skipif(os.environ.get('YOLO_TEST_INDUCTOR') != '1',
                    reason='inductor compiles this network for minutes on a small CPU; '
                           'set YOLO_TEST_INDUCTOR=1 to run it')
def test_compile_hook_inductor():
    model, reference, keys, hook, _, log, ref_log = _compiled_step('inductor')
    assert list(model.state_dict()) == keys
    torch.testing.assert_close(log['loss'], ref_log['loss'], rtol=1e-3, atol=1e-4)


def test_setup_compile_from_flag_and_no_tools_only_config_key():
    cfg = Config(dict(custom_hooks=[dict(type='EMAHook')]))
    setup_compile(cfg, enable=False)
    assert len(cfg.custom_hooks) == 1
    setup_compile(cfg, enable=True)
    assert cfg.custom_hooks[-1] == dict(type='CompileModelHook')
    setup_compile(cfg, enable=True)  # not twice
    assert len(cfg.custom_hooks) == 2
    cfg = Config(dict(compile_model=dict(mode='max-autotune')))
    with pytest.raises(KeyError, match=r"compile_model is not read any more.*"
                                       r"dict\(type='CompileModelHook'"):
        setup_compile(cfg)


def test_train_parses_compile_flag(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'tool_train', os.path.join(os.path.dirname(DEMO_CONFIG), '..', '..', 'tools',
                                   'train.py'))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    args = train.parse_args([DEMO_CONFIG, '--compile', '--work-dir', str(tmp_path)])
    cfg = train.build_cfg(args)
    assert any(h['type'] == 'CompileModelHook' for h in cfg.custom_hooks)


def test_channels_last_batches_give_the_same_loss():
    cfg, model, batch = _model_and_batch()
    model.train()
    losses = []
    for channels_last in (False, True):
        model.data_preprocessor.channels_last = channels_last
        data = model.data_preprocessor(copy.deepcopy(batch), training=True)
        assert data['inputs'].is_contiguous(
            memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        torch.manual_seed(0)
        losses.append(model(data['inputs'], data['data_samples'], mode='loss'))
    for key in losses[0]:
        torch.testing.assert_close(losses[1][key], losses[0][key], rtol=1e-4, atol=1e-5)


def test_gpu_speedups_are_config_entries(monkeypatch):
    """issue 19: AMP, channels_last and cudnn.benchmark are entries of the config
    (print_config shows them), applied by what the runner builds, not by tools/train.py."""
    from mmengine.optim import AmpOptimWrapper, OptimWrapper

    from yolo_toolbox.engine import CPUBf16OptimWrapper
    from yolo_toolbox.registry import OPTIM_WRAPPERS
    cfg = Config.fromfile(DEMO_CONFIG)
    assert 'gpu_speedups' not in cfg
    assert cfg.optim_wrapper.type == 'AutoAmpOptimWrapper' and cfg.optim_wrapper.amp is True
    assert cfg.model.data_preprocessor.channels_last is True
    assert cfg.env_cfg.cudnn_benchmark is True

    def build(**kwargs):
        optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
        return OPTIM_WRAPPERS.build(dict(type='AutoAmpOptimWrapper', **kwargs),
                                    default_args=dict(optimizer=optimizer))
    assert cfg.optim_wrapper.dtype == 'auto'
    import yolo_toolbox.engine.optim_wrappers as wrappers
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(wrappers, 'cpu_has_native_bf16', lambda: False)
    assert type(build(amp=True)) is OptimWrapper  # fp32 on a CPU without native bf16
    assert type(build(amp=True, dtype='bfloat16')) is CPUBf16OptimWrapper  # forced
    with pytest.raises(ValueError, match='float16.*needs a CUDA device'):
        build(amp=True, dtype='float16')
    monkeypatch.setattr(wrappers, 'cpu_has_native_bf16', lambda: True)
    assert type(build(amp=True)) is CPUBf16OptimWrapper  # issue 18: free on AVX512-BF16/AMX
    assert type(build(amp=False)) is OptimWrapper
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: True)
    on_gpu = build(amp=True)
    assert isinstance(on_gpu, AmpOptimWrapper) and on_gpu.cast_dtype == torch.bfloat16
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: False)
    fp16 = build(amp=True)
    assert isinstance(fp16, AmpOptimWrapper) and fp16.cast_dtype == torch.float16
    assert fp16.loss_scaler is not None
    assert type(build(amp=False)) is OptimWrapper
    with pytest.raises(ValueError, match='dtype must be'):
        build(amp=True, dtype='fp8')


def test_fp32_flag_writes_amp_off_into_the_config():
    from yolo_toolbox.engine import setup_fp32
    cfg = Config.fromfile(DEMO_CONFIG)
    setup_fp32(cfg)
    assert cfg.optim_wrapper.type == 'AutoAmpOptimWrapper' and cfg.optim_wrapper.amp is False
    cfg = Config(dict(optim_wrapper=dict(type='CPUBf16OptimWrapper', optimizer=dict())))
    setup_fp32(cfg)
    assert cfg.optim_wrapper.type == 'OptimWrapper'


def test_train_parses_fp32_flag(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'tool_train', os.path.join(os.path.dirname(DEMO_CONFIG), '..', '..', 'tools',
                                   'train.py'))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    args = train.parse_args([DEMO_CONFIG, '--fp32', '--work-dir', str(tmp_path)])
    assert train.build_cfg(args).optim_wrapper.amp is False
    args = train.parse_args([DEMO_CONFIG, '--work-dir', str(tmp_path)])
    assert train.build_cfg(args).optim_wrapper.amp is True  # the default: AMP where free
    args = train.parse_args([DEMO_CONFIG, '--fp32', '--amp', '--work-dir', str(tmp_path)])
    with pytest.raises(SystemExit, match='contradict'):
        train.build_cfg(args)


def test_losses_in_fp32_under_bf16_autocast():
    _, model, batch = _model_and_batch()
    model.train()
    data = model.data_preprocessor(batch, training=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(data['inputs'], data['data_samples'], mode='loss')
    for key in ('loss_obj', 'loss_bbox', 'loss_cls'):
        assert losses[key].dtype == torch.float32 and torch.isfinite(losses[key])



def test_channels_last_model_keeps_checkpoints():
    """With channels_last batches the detector's conv weights are NHWC from the start
    (before DDP wraps it); state_dict keys and values load both ways, outputs match."""
    cfg = Config.fromfile(DEMO_CONFIG)
    torch.manual_seed(0)
    plain = MODELS.build(cfg.model).eval()
    cfg.model.data_preprocessor['channels_last'] = True
    nhwc = MODELS.build(cfg.model).eval()
    weights = [p for p in nhwc.parameters() if p.dim() == 4]
    assert weights and all(p.is_contiguous(memory_format=torch.channels_last) for p in weights)
    assert list(nhwc.state_dict()) == list(plain.state_dict())
    nhwc.load_state_dict(plain.state_dict(), strict=True)
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in weights)
    plain.load_state_dict(nhwc.state_dict(), strict=True)
    images = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for a, b in zip(plain(images), nhwc(images.contiguous(memory_format=torch.channels_last))):
            torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)
