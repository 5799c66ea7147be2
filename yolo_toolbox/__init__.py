"""yolo_toolbox: a plugin-registry toolbox for one-stage YOLO detectors on mmengine."""
from .utils.weights_only_allowlist import patch_mmengine_checkpoint_loading
from .version import __version__

# mmengine 0.10.x calls torch.load with the default weights_only=True on torch>=2.6 and
# refuses its own checkpoints; allow-list exactly what they need
# (utils/weights_only_allowlist.py).
patch_mmengine_checkpoint_loading()
# Checkpoints are written atomically by the file backend 'atomic_local' that the config
# chooses (default_hooks.checkpoint.backend_args, utils/atomic_checkpoint.py); importing
# the package registers that name and replaces nothing.

__all__ = ['__version__']
