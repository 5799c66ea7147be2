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


def setup_fp32(cfg: Config) -> None:
    """``tools/train.py --fp32``: switch mixed precision off in ``cfg.optim_wrapper`` (so the
    dumped config shows it): ``AutoAmpOptimWrapper`` gets ``amp=False``; an explicit
    ``AmpOptimWrapper`` / ``CPUBf16OptimWrapper`` becomes a plain ``OptimWrapper``."""
    optim_wrapper = cfg.optim_wrapper
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type == 'AutoAmpOptimWrapper':
        optim_wrapper.amp = False
    elif wrapper_type in ('AmpOptimWrapper', 'CPUBf16OptimWrapper'):
        for key in ('amp', 'dtype', 'loss_scale'):
            optim_wrapper.pop(key, None)
        optim_wrapper.type = 'OptimWrapper'


def setup_amp(cfg: Config) -> None:
    """``tools/train.py --amp``: mixed precision, written into ``cfg.optim_wrapper`` (so the
    dumped config shows it). On CUDA: ``AutoAmpOptimWrapper`` with ``amp=True`` (bf16 where
    the GPU supports it, else fp16 with dynamic loss scale); on a CPU-only machine: bf16
    autocast (:class:`CPUBf16OptimWrapper`) with channels_last batches."""
    optim_wrapper = cfg.optim_wrapper
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type in ('AmpOptimWrapper', 'CPUBf16OptimWrapper'):
        return
    if wrapper_type not in ('OptimWrapper', 'AutoAmpOptimWrapper'):
        raise ValueError(f'--amp needs a plain OptimWrapper or AutoAmpOptimWrapper in the '
                         f'config, found {wrapper_type}')
    if torch.cuda.is_available():
        optim_wrapper.type = 'AutoAmpOptimWrapper'
        optim_wrapper.amp = True
        return
    warnings.warn('--amp without a GPU: running the forward pass in bf16 autocast on the '
                  'CPU (CPUBf16OptimWrapper) with channels_last batches; fp16 AMP needs '
                  'CUDA.')
    for key in ('amp', 'dtype', 'loss_scale'):  # AutoAmpOptimWrapper's own arguments
        optim_wrapper.pop(key, None)
    optim_wrapper.type = 'CPUBf16OptimWrapper'
    # oneDNN's bf16 convolutions are much faster in NHWC (docs/benchmark.md: 1.3x with
    # bf16 alone, 1.9x with both, vs the original's fp32 step); values are unchanged
    if 'data_preprocessor' in cfg.get('model', {}):
        cfg.model.data_preprocessor.setdefault('channels_last', True)
