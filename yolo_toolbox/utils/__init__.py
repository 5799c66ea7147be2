from .atomic_checkpoint import ATOMIC_BACKEND, atomic_write_bytes, find_resumable_checkpoint
from .checkpoint import patch_mmengine_checkpoint_loading
from .config import load_config
from .setup_env import register_all_modules

__all__ = ['ATOMIC_BACKEND', 'atomic_write_bytes', 'find_resumable_checkpoint', 'load_config',
           'patch_mmengine_checkpoint_loading', 'register_all_modules']
