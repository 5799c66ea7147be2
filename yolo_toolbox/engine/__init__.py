from .hooks import *  # noqa: F401,F403
from .hooks import compile_model, setup_compile
from .launch import setup_amp, setup_distributed, setup_gpu_speedups, setup_sync_bn
from .optim_wrappers import CPUBf16OptimWrapper

__all__ = ['CPUBf16OptimWrapper', 'compile_model', 'setup_amp', 'setup_compile',
           'setup_distributed', 'setup_gpu_speedups', 'setup_sync_bn']
