from .checkpoint import patch_mmengine_checkpoint_loading
from .config import load_config
from .setup_env import register_all_modules

__all__ = ['load_config', 'patch_mmengine_checkpoint_loading', 'register_all_modules']
