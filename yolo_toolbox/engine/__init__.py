from .hooks import *  # noqa: F401,F403
from .launch import setup_amp, setup_distributed, setup_sync_bn
from .optim_wrappers import CPUBf16OptimWrapper

__all__ = ['CPUBf16OptimWrapper', 'setup_amp', 'setup_distributed', 'setup_sync_bn']
