from .hooks import *  # noqa: F401,F403
from .hooks import compile_model, setup_compile
from .launch import setup_amp, setup_distributed, setup_fp32, setup_sync_bn
from .optim_wrappers import CPUBf16OptimWrapper, build_auto_amp_optim_wrapper, cpu_has_native_bf16

__all__ = ['CPUBf16OptimWrapper', 'build_auto_amp_optim_wrapper', 'compile_model',
           'cpu_has_native_bf16', 'setup_amp', 'setup_compile', 'setup_distributed',
           'setup_fp32', 'setup_sync_bn']
