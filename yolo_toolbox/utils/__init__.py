from .atomic_checkpoint import ATOMIC_BACKEND, atomic_write_bytes, find_resumable_checkpoint
from .config import load_config
from .setup_env import register_all_modules
from .weights_only_allowlist import patch_mmengine_checkpoint_loading

__all__ = ['ATOMIC_BACKEND', 'atomic_write_bytes', 'find_resumable_checkpoint', 'load_config',
           'patch_mmengine_checkpoint_loading', 'register_all_modules']
