from .atomic_checkpoint import (
    atomic_write_bytes,
    find_resumable_checkpoint,
    install_atomic_checkpoint_saving,
)
from .checkpoint import patch_mmengine_checkpoint_loading
from .config import load_config
from .setup_env import register_all_modules

__all__ = ['atomic_write_bytes', 'find_resumable_checkpoint', 'install_atomic_checkpoint_saving',
           'load_config', 'patch_mmengine_checkpoint_loading', 'register_all_modules']
