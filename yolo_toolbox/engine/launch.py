"""Fit a training / test config to the machine before mmengine's Runner is built.

Everything here is what a user would otherwise have to type for a CPU-only or
distributed run; ``tools/train.py`` and ``tools/test.py`` call it.
"""
import os
import warnings

import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Prepare distributed runs.

    On a machine without CUDA: use the gloo backend and initialise the process group
    ourselves (mmengine 0.10.7's ``_init_dist_pytorch`` calls ``torch.cuda.set_device``
    unconditionally), and wrap the model in DDP with ``device_ids=None`` (mmengine passes
    the local rank as ``device_ids``, which DDP refuses for CPU modules).
    """
    cfg.launcher = launcher
    if launcher == 'none':
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    if torch.cuda.is_available():
        return
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if launcher == 'slurm':
        _slurm_env_to_torch_env()
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper_cfg = cfg.get('model_wrapper_cfg') or {}
    wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
    wrapper_cfg['device_ids'] = None
    wrapper_cfg.setdefault('broadcast_buffers', False)  # as mmengine's GPU default
    cfg.model_wrapper_cfg = wrapper_cfg


def _slurm_env_to_torch_env() -> None:
    """Map SLURM's variables to torch.distributed's env:// ones (CPU fallback only)."""
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ['SLURM_NODELIST']
        import subprocess
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')


def setup_sync_bn(cfg: Config) -> None:
    """``sync_bn='torch'`` works on GPUs only; on the CPU drop it with a warning."""
    if cfg.get('sync_bn') and not torch.cuda.is_available():
        warnings.warn('sync_bn is set but no GPU is available: SyncBatchNorm refuses CPU '
                      'modules, so plain BatchNorm is used.')
        cfg.sync_bn = None


def setup_amp(cfg: Config) -> None:
    """Mixed precision: mmengine's AmpOptimWrapper on CUDA (bf16 where the GPU supports
    it, else fp16 with dynamic loss scale); bf16 autocast (:class:`CPUBf16OptimWrapper`)
    with channels_last batches on a CPU-only machine."""
    optim_wrapper = cfg.optim_wrapper
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type in ('AmpOptimWrapper', 'CPUBf16OptimWrapper'):
        return
    if wrapper_type != 'OptimWrapper':
        raise ValueError(f'--amp needs a plain OptimWrapper in the config, found {wrapper_type}')
    if torch.cuda.is_available():
        optim_wrapper.type = 'AmpOptimWrapper'
        if torch.cuda.is_bf16_supported():  # fp32's range: no loss scaling needed
            optim_wrapper.setdefault('dtype', 'bfloat16')
        else:
            optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        warnings.warn('--amp without a GPU: running the forward pass in bf16 autocast on the '
                      'CPU (CPUBf16OptimWrapper) with channels_last batches; fp16 AMP needs '
                      'CUDA.')
        optim_wrapper.type = 'CPUBf16OptimWrapper'
        # oneDNN's bf16 convolutions are much faster in NHWC (docs/benchmark.md: 1.3x with
        # bf16 alone, 1.9x with both, vs the original's fp32 step); values are unchanged
        if 'data_preprocessor' in cfg.get('model', {}):
            cfg.model.data_preprocessor.setdefault('channels_last', True)


GPU_SPEEDUPS = dict(amp=True, channels_last=True, cudnn_benchmark=True)


def setup_gpu_speedups(cfg: Config) -> dict:
    """On a CUDA machine, switch on what is safe and faster there; returns what was set.

    The config key ``gpu_speedups`` (``configs/_base_/default_runtime.py``: True) is
    True / False or a dict with any of ``amp``, ``channels_last``, ``cudnn_benchmark``
    (missing keys: True):

    - ``amp``: mixed precision (:func:`setup_amp`: bf16 where the GPU has it, else fp16
      with dynamic loss scaling); the losses are computed in fp32 either way;
    - ``channels_last``: the data preprocessor gives NHWC batches (tensor cores);
    - ``cudnn_benchmark``: cuDNN picks the fastest kernels for the (fixed) input size.

    Nothing changes on a CPU-only machine (``--amp`` still asks for bf16 there).
    """
    option = cfg.get('gpu_speedups', False)
    if not option or not torch.cuda.is_available():
        return {}
    chosen = {**GPU_SPEEDUPS, **(option if isinstance(option, dict) else {})}
    if chosen['amp']:
        setup_amp(cfg)
    if chosen['channels_last'] and 'data_preprocessor' in cfg.model:
        cfg.model.data_preprocessor['channels_last'] = True
    if chosen['cudnn_benchmark']:
        cfg.setdefault('env_cfg', {})['cudnn_benchmark'] = True
    return chosen
